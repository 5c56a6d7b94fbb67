/**
 * The type of a file by its content — the name and the Content-Type a client
 * sent prove nothing. Only the four shapes kinko reads are told apart here;
 * the readers then confirm by parsing.
 */
export type Sniffed = 'zip' | 'cfb' | 'pdf' | 'text' | 'unknown';

const ZIP = [0x50, 0x4b, 0x03, 0x04];
const CFB = [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1];

function startsWith(bytes: Uint8Array, magic: number[], at = 0): boolean {
  return bytes.length >= at + magic.length && magic.every((b, i) => bytes[at + i] === b);
}

/** %PDF- within the first KiB (the spec lets junk precede it; readers accept that). */
function pdfHeader(bytes: Uint8Array): boolean {
  const end = Math.min(bytes.length - 5, 1024);
  for (let i = 0; i <= end; i++) {
    if (bytes[i] === 0x25 && bytes[i + 1] === 0x50 && bytes[i + 2] === 0x44 && bytes[i + 3] === 0x46 && bytes[i + 4] === 0x2d) return true;
  }
  return false;
}

/** Text a spreadsheet program saves as CSV: no NUL and no control bytes but tab, CR, LF, FF, EOF (0x1a). */
function looksLikeText(bytes: Uint8Array): boolean {
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) return true; // UTF-16 with BOM
  const n = Math.min(bytes.length, 64 * 1024);
  for (let i = 0; i < n; i++) {
    const b = bytes[i]!;
    if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0x0c && b !== 0x1a) return false;
    if (b === 0x7f) return false;
  }
  return true;
}

export function sniff(bytes: Uint8Array): Sniffed {
  if (startsWith(bytes, ZIP)) return 'zip';
  if (startsWith(bytes, CFB)) return 'cfb';
  if (pdfHeader(bytes)) return 'pdf';
  if (looksLikeText(bytes)) return 'text';
  return 'unknown';
}
