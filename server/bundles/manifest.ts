import { fileEntry, type BundleFile } from './seal/seal.js';

/**
 * A bundle's manifest (issue 15 §3): destination, 年分, counts and each
 * file's size and SHA-256 — never a number. Shared by the numbered
 * destinations (build/package.ts) and the 本人交付 bundle (self-copy-files.ts),
 * which may not import the numbered side.
 */
export const r2 = (nenbun: number) => `R${String(nenbun).padStart(2, '0')}`;

export function manifestOf(nenbun: number, destination: string, municipalityCode: string | null, rows: number, builtAt: Date, files: readonly BundleFile[], extra: Record<string, unknown> = {}) {
  return { kind: 'kinko-year-end-bundle', version: 1, nenbun, destination, municipalityCode, rows, ...extra, builtAt: builtAt.toISOString(), files: files.map(fileEntry) };
}
