import { BadRequest } from '../../http/errors.js';
import type { PreviewFacts } from '../input/preview.js';
import type { RowRouting } from '../route/route-rows.js';
import { manifestOf, r2 } from '../manifest.js';
import type { BundleFile } from '../seal/seal.js';
import { buildSelfCopy, type SelfCopy } from '../self-copy.js';
import type { RowNumbers } from '../write/fill-numbers.js';
import { numberedSlipsPdf } from '../write/slips-pdf.js';
import { summaryPdf } from '../write/summary-pdf.js';
import { rowsFor, writeUnifiedCsv, type Destination } from '../write/unified-writer.js';

/**
 * One destination's files, in memory. A numbered destination: its 統一CSV
 * (all rows or none), the slips as a PDF, and for a 市区町村 its 総括表 PDF.
 * The 本人交付 bundle: one PDF per employee and one combined, built by the
 * path that cannot reach numbers (self-copy-pdf.ts). Each with its manifest
 * (destination, 年分, counts, each file's size and SHA-256 — never a
 * number). The caller seals them at once and zeroes the bytes.
 */
export interface PayerFacts {
  readonly corporateNumber: string | null;
  readonly contactName: string;
  readonly contactPhone: string;
}
export interface DestinationFiles {
  files: BundleFile[];
  rows: number;
  tag: string;
  manifest: Record<string, unknown>;
}

export function destinationTag(dest: Destination): string {
  return dest.kind === 'tax-office' ? 'zeimusho' : dest.code;
}

export async function destinationFiles(facts: PreviewFacts, dest: Destination, numbersOf: (r: RowRouting) => RowNumbers, builtAt: Date, payer: PayerFacts): Promise<DestinationFiles> {
  const plan = facts.plan;
  const written = writeUnifiedCsv(plan, dest, numbersOf);
  if (!written.ok) throw new BadRequest('bundles.build.errors.writeFailed');
  const tag = destinationTag(dest);
  const stem = `${dest.kind === 'tax-office' ? 'gensen' : 'kyuyo'}_${r2(plan.nenbun)}_${tag}`;
  const rows = rowsFor(plan, dest);
  const payerNumber = payer.corporateNumber ?? '';
  const slips = rows.map((r) => ({ row: r.row, numbers: { ...numbersOf(r), payer: undefined } }));
  const files: BundleFile[] = [{ name: `${stem}.csv`, bytes: written.bytes }, { name: `${stem}.pdf`, bytes: await numberedSlipsPdf({ nenbun: plan.nenbun, copy: dest.kind, payerNumber, slips }) }];
  if (dest.kind === 'municipal') {
    const group = plan.municipalities.get(dest.code);
    const first = rows[0] ? buildSelfCopy(rows[0].row).copy : undefined;
    files.push({
      name: `soukatsu_${r2(plan.nenbun)}_${tag}.pdf`,
      bytes: await summaryPdf({
        nenbun: plan.nenbun, municipalityCode: dest.code, designatedNumber: rows[0]?.row.designatedNumber ?? '', payerNumber,
        payer: { name: first?.payer.name ?? '', address: first?.payer.address ?? '', phone: first?.payer.phone ?? '' },
        special: group?.special ?? 0, ordinary: group?.ordinary ?? 0, contact: { name: payer.contactName, phone: payer.contactPhone || first?.payer.phone || '' },
      }),
    });
  }
  const manifest = manifestOf(plan.nenbun, dest.kind, dest.kind === 'municipal' ? dest.code : null, written.rows, builtAt, files, { numberCellsBlank: written.blankNumberCells });
  return { files: [...files, { name: 'manifest.json', bytes: Buffer.from(JSON.stringify(manifest, null, 2)) }], rows: written.rows, tag, manifest };
}

/** The 本人交付 bundle's input: every row's number-free copy, in line order. */
export function selfCopiesOf(facts: PreviewFacts): SelfCopy[] {
  return [...facts.plan.rows].sort((a, b) => a.row.line - b.row.line).map((r) => buildSelfCopy(r.row).copy).filter((c) => c !== undefined);
}
