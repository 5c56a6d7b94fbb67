import { manifestOf } from './manifest.js';
import type { fileEntry } from './seal/seal.js';
import { selfCopyPdfPieces } from './self-copy-pdf.js';
import type { SelfCopy } from './self-copy.js';
import { selfCopyAllName, selfCopyNames } from './slip-pdf/file-names.js';

/**
 * The 本人交付 bundle's files, one at a time, for sealStreamed: each
 * employee's PDF in line order, then the combined one, then (written by the
 * sealer) the manifest. Made from the number-free copies only; this file is
 * under the `self-copy-reaches-no-numbers` rule like the rest of the path.
 */
export interface SelfCopyFiles {
  readonly rows: number;
  readonly files: AsyncGenerator<{ name: string; bytes: Uint8Array }>;
  manifestOf(entries: ReturnType<typeof fileEntry>[]): Uint8Array;
  manifest(): Record<string, unknown>;
}

export function selfCopyFiles(copies: readonly SelfCopy[], nenbun: number, builtAt: Date): SelfCopyFiles {
  let manifest: Record<string, unknown> = {};
  return {
    rows: copies.length,
    files: named(copies, nenbun),
    manifestOf: (entries) => {
      manifest = { ...manifestOf(nenbun, 'self-copy', null, copies.length, builtAt, [], { numbers: 'none' }), files: entries };
      return new TextEncoder().encode(JSON.stringify(manifest, null, 2));
    },
    manifest: () => manifest,
  };
}

async function* named(copies: readonly SelfCopy[], nenbun: number): AsyncGenerator<{ name: string; bytes: Uint8Array }> {
  const names = selfCopyNames(nenbun, copies.map((c) => ({ line: c.line, employeeCode: c.payee.employeeCode })));
  let i = 0;
  for await (const piece of selfCopyPdfPieces(copies, { nenbun })) {
    if (piece.kind === 'each') yield { name: names[i++] as string, bytes: piece.pdf.bytes };
    else yield { name: selfCopyAllName(nenbun), bytes: piece.bytes };
  }
}
