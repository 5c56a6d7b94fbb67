import { drawSlip, type SlipPerson, type SlipPrint } from './slip-pdf/draw-slip.js';
import { A6_LANDSCAPE, slipDoc } from './slip-pdf/pdf-doc.js';
import { digitRunOf12, type SelfCopy, type SelfCopyPerson } from './self-copy.js';

/**
 * The 受給者交付用 源泉徴収票 as PDFs (issue 15 §3): one per employee and one
 * combined, every number box empty and no 支払者 法人番号 (year-end.md §1,
 * §7 rule 2). Built from SelfCopy only — the number-free data self-copy.ts
 * copies field by field — so this path cannot reach a number: the
 * dependency-cruiser rule `self-copy-reaches-no-numbers` covers this file
 * (its imports), and before any page is drawn the text is checked once more
 * for a run of 12 digits. `slipFromCopy` is also how the numbered copies get
 * their printed fields; they add the numbers themselves (write/slips-pdf.ts).
 */
const ERA: Record<string, string> = { '1': '明治', '2': '大正', '3': '昭和', '4': '平成', '5': '令和' }; // UNVERIFIED codes (year-end.md §10)

export interface SlipNumbers {
  readonly self?: string;
  readonly spouse?: string;
  readonly dependents?: readonly (string | undefined)[];
  readonly under16?: readonly (string | undefined)[];
  readonly payer?: string;
}

function person(p: SelfCopyPerson, n: string | undefined): SlipPerson {
  return { name: p.name, furigana: p.furigana, kubun: p.kubun === '00' ? '' : p.kubun, ...(n ? { number: n } : {}) };
}

function midYear(m: SelfCopy['midYear']): string {
  if (m.kind === 'none') return '';
  const date = [m.year, m.month, m.day].every(Boolean) ? ` ${m.year}年${m.month}月${m.day}日` : '';
  return `${m.kind === 'joined' ? '就職' : '退職'}${date}`;
}

export function slipFromCopy(c: SelfCopy, copyLabel: string, n: SlipNumbers = {}): SlipPrint {
  return {
    nenbun: c.nenbun,
    copyLabel,
    payee: { ...c.payee, ...(n.self ? { number: n.self } : {}) },
    amounts: c.amounts,
    tekiyo: c.tekiyo,
    ...(c.spouse ? { spouse: person(c.spouse, n.spouse) } : {}),
    dependents: c.dependents.map((d, i) => person(d, n.dependents?.[i])),
    under16: c.under16.map((d, i) => person(d, n.under16?.[i])),
    midYear: midYear(c.midYear),
    birth: c.birth ? `${ERA[c.birth.era] ?? c.birth.era}${c.birth.year}年${c.birth.month}月${c.birth.day}日` : '',
    payer: { ...c.payer, ...(n.payer ? { number: n.payer } : {}) },
  };
}

const LABEL = '受給者交付用';

/** ASCII file name of one employee's copy: by 受給者番号, else by line. */
export function selfCopyName(nenbun: number, c: Pick<SelfCopy, 'line' | 'payee'>): string {
  const tag = /^[0-9A-Za-z_-]{1,20}$/.test(c.payee.employeeCode) ? c.payee.employeeCode : `line${c.line}`;
  return `honnin_R${String(nenbun).padStart(2, '0')}_${tag}.pdf`;
}

/**
 * The 本人交付 PDFs one file at a time (the combined one first, then one per
 * employee), so that a bundle of 10,000 never holds them all in memory.
 */
export async function* selfCopyPdfFiles(copies: readonly SelfCopy[], nenbun: number): AsyncGenerator<{ name: string; bytes: Uint8Array }> {
  const prints = copies.map((c) => slipFromCopy(c, LABEL));
  // No number may be printed here: the copies carry none, and none slipped into any text.
  if (prints.some((p) => p.payee.number || p.payer.number) || digitRunOf12(JSON.stringify(prints))) throw new Error('a self copy holds a run of 12 digits; refused');
  const all = slipDoc(`令和${nenbun}年分 源泉徴収票（受給者交付用）`, A6_LANDSCAPE);
  for (let i = 0; i < prints.length; i++) {
    drawSlip(all.doc, prints[i]!);
    if (i % 200 === 199) await new Promise((r) => setImmediate(r));
  }
  yield { name: `honnin_R${String(nenbun).padStart(2, '0')}_all.pdf`, bytes: await all.finish() };
  for (let i = 0; i < prints.length; i++) {
    const c = copies[i]!;
    const one = slipDoc(`令和${nenbun}年分 源泉徴収票（受給者交付用） ${c.payee.name}`, A6_LANDSCAPE);
    drawSlip(one.doc, prints[i]!);
    yield { name: selfCopyName(nenbun, c), bytes: await one.finish() };
  }
}
