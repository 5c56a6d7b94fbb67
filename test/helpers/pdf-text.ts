import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * What a person sees in a PDF, read by poppler as a viewer would: the text
 * laid out as on the page (`pdftotext -layout`, pages split by form feeds),
 * the page count and size (`pdfinfo`), and each word's position
 * (`pdftotext -bbox`). The PDF is written to a temp folder of its own, which
 * is removed before returning. A PDF poppler complains about fails here.
 */
export interface PdfSeen {
  readonly layout: string;
  /** One entry per page, laid out. */
  readonly pages: string[];
  readonly pageCount: number;
  readonly pageSize: string;
  readonly words: { readonly text: string; readonly xMin: number; readonly yMin: number }[];
}

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  // poppler reports a damaged file on stderr and still exits 0.
  if (r.status !== 0 || r.stderr.trim() !== '') throw new Error(`${cmd} on the PDF: exit ${r.status}: ${r.stderr}`);
  return r.stdout;
}

export function seePdf(bytes: Uint8Array): PdfSeen {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-pdf-'));
  try {
    const file = path.join(dir, 'seen.pdf');
    fs.writeFileSync(file, bytes);
    const layout = run('pdftotext', ['-layout', '-enc', 'UTF-8', file, '-']);
    const info = run('pdfinfo', [file]);
    const bbox = run('pdftotext', ['-bbox', '-enc', 'UTF-8', file, '-']);
    const words = [...bbox.matchAll(/<word xMin="([\d.]+)" yMin="([\d.]+)"[^>]*>([^<]*)<\/word>/g)].map((m) => ({ text: m[3] as string, xMin: Number(m[1]), yMin: Number(m[2]) }));
    return {
      layout,
      pages: layout.split('\f').slice(0, -1),
      pageCount: Number(/^Pages:\s+(\d+)/m.exec(info)?.[1]),
      pageSize: /^Page size:\s+(.*)$/m.exec(info)?.[1]?.trim() ?? '',
      words,
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The text with all whitespace removed: a number split over boxes or lines reads whole again. */
export const flat = (text: string) => text.replace(/\s+/g, '');
