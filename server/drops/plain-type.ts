import { fileTypeFromBuffer } from 'file-type';
import { UploadRefusedType } from './errors.js';
import { looksArmored } from './openpgp-sniff.js';

/**
 * Type check for plain files (sent without the room page's JavaScript, e.g.
 * by curl): the extension must be allowed AND the first bytes must be what
 * that extension promises. The Content-Type a client declares is ignored — it
 * costs nothing to lie about. A renamed executable, a zip that is not a
 * workbook, an image named .csv: all refused before anything is stored.
 *
 * This is a gate, not a parser: ingest still parses the decrypted file in an
 * isolated worker with its own limits (zip bombs, XML entities, hostile PDFs).
 */
export const PLAIN_TYPES = ['xlsx', 'xls', 'csv', 'pdf'] as const;
export type PlainType = (typeof PLAIN_TYPES)[number];

const ALLOWED = PLAIN_TYPES.join(', ');
const ZIP = [0x50, 0x4b, 0x03, 0x04];
const OLE = [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1];
const PDF = [0x25, 0x50, 0x44, 0x46, 0x2d]; // %PDF-

function startsWith(head: Uint8Array, magic: number[]): boolean {
  return head.length >= magic.length && magic.every((b, i) => head[i] === b);
}

/**
 * Text a spreadsheet program would save as CSV (UTF-8 or Shift_JIS): no NUL
 * and no control characters other than tab, line breaks, form feed and the
 * old DOS end-of-file mark. Binary formats are full of them.
 */
function looksLikeText(head: Uint8Array): boolean {
  for (const b of head) {
    if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0x0c && b !== 0x1a) return false;
    if (b === 0x7f) return false;
  }
  return true;
}

export function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(dot + 1).toLowerCase() : '';
}

/** The file's type, or throws UploadRefusedType (415) with a message naming what is accepted. */
export async function checkPlainType(name: string, head: Uint8Array): Promise<PlainType> {
  const ext = extensionOf(name);
  if (!(PLAIN_TYPES as readonly string[]).includes(ext)) throw new UploadRefusedType('drops.errors.unsupportedType', { allowed: ALLOWED });
  const mismatch = () => new UploadRefusedType('drops.errors.typeMismatch', { ext, allowed: ALLOWED });
  switch (ext as PlainType) {
    case 'xlsx': {
      // Any zip starts with PK\3\4; a workbook is told apart by its entries
      // ([Content_Types].xml / xl/), which file-type reads from the head.
      if (!startsWith(head, ZIP)) throw mismatch();
      const detected = await fileTypeFromBuffer(head).catch(() => undefined);
      if (detected?.ext !== 'xlsx') throw mismatch();
      return 'xlsx';
    }
    case 'xls':
      if (!startsWith(head, OLE)) throw mismatch();
      return 'xls';
    case 'pdf':
      if (!startsWith(head, PDF)) throw mismatch();
      return 'pdf';
    case 'csv':
      if (looksArmored(head)) throw new UploadRefusedType('drops.errors.armored');
      if (!looksLikeText(head)) throw mismatch();
      return 'csv';
  }
}
