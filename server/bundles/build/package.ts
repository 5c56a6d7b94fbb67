import { BadRequest } from '../../http/errors.js';
import type { PreviewFacts } from '../input/preview.js';
import type { RowRouting } from '../route/route-rows.js';
import { fileEntry, type BundleFile } from '../seal/seal.js';
import type { RowNumbers } from '../write/fill-numbers.js';
import { writeUnifiedCsv, type Destination } from '../write/unified-writer.js';

/**
 * One numbered destination's files, in memory: its 統一CSV (all rows or none)
 * and the manifest (destination, 年分, counts, each file's size and SHA-256 —
 * never a number). The caller seals them at once and zeroes the bytes.
 */
export interface DestinationFiles {
  files: BundleFile[];
  rows: number;
  tag: string;
  manifest: Record<string, unknown>;
}

export const r2 = (nenbun: number) => `R${String(nenbun).padStart(2, '0')}`;

export function destinationTag(dest: Destination): string {
  return dest.kind === 'tax-office' ? 'zeimusho' : dest.code;
}

export function manifestOf(nenbun: number, destination: string, municipalityCode: string | null, rows: number, builtAt: Date, files: readonly BundleFile[], extra: Record<string, unknown> = {}) {
  return { kind: 'kinko-year-end-bundle', version: 1, nenbun, destination, municipalityCode, rows, ...extra, builtAt: builtAt.toISOString(), files: files.map(fileEntry) };
}

export function destinationFiles(facts: PreviewFacts, dest: Destination, numbersOf: (r: RowRouting) => RowNumbers, builtAt: Date): DestinationFiles {
  const plan = facts.plan;
  const written = writeUnifiedCsv(plan, dest, numbersOf);
  if (!written.ok) throw new BadRequest('bundles.build.errors.writeFailed');
  const tag = destinationTag(dest);
  const csvName = `${dest.kind === 'tax-office' ? 'gensen' : 'kyuyo'}_${r2(plan.nenbun)}_${tag}.csv`;
  const files: BundleFile[] = [{ name: csvName, bytes: written.bytes }];
  const manifest = manifestOf(plan.nenbun, dest.kind, dest.kind === 'municipal' ? dest.code : null, written.rows, builtAt, files, { numberCellsBlank: written.blankNumberCells });
  return { files: [...files, { name: 'manifest.json', bytes: Buffer.from(JSON.stringify(manifest, null, 2)) }], rows: written.rows, tag, manifest };
}
