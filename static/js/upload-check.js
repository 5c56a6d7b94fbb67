/**
 * The check a file passes before it leaves the browser: an allowed extension,
 * not empty, not over the size limit, and first bytes that match what the
 * extension promises (the same rules the server applies to plain uploads in
 * server/drops/plain-type.ts). A renamed program (.exe → .xlsx) is stopped
 * here, before anything is encrypted or sent.
 */

export const ALLOWED = ['xlsx', 'xls', 'csv', 'pdf'];

/** How much of the head is read: enough for every magic number and the CSV text check. */
export const HEAD_BYTES = 8192;

const MAGIC = {
  xlsx: [0x50, 0x4b, 0x03, 0x04], // zip: PK\3\4
  xls: [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1], // OLE compound file
  pdf: [0x25, 0x50, 0x44, 0x46, 0x2d], // %PDF-
};

export function extensionOf(name) {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(dot + 1).toLowerCase() : '';
}

function startsWith(head, magic) {
  return head.length >= magic.length && magic.every((b, i) => head[i] === b);
}

/**
 * Text a spreadsheet program saves as CSV (UTF-8 or Shift_JIS): no NUL and no
 * control characters other than tab, line breaks, form feed and the old DOS
 * end-of-file mark.
 */
export function looksLikeText(head) {
  for (const b of head) {
    if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0x0c && b !== 0x1a) return false;
    if (b === 0x7f) return false;
  }
  return true;
}

/**
 * null when the file may be sent; otherwise why not:
 * { reason: 'type' | 'empty' | 'tooBig' | 'content', ext }.
 */
export function checkHead(name, size, head, maxBytes) {
  const ext = extensionOf(name);
  if (!ALLOWED.includes(ext)) return { reason: 'type', ext };
  if (size === 0) return { reason: 'empty', ext };
  if (size > maxBytes) return { reason: 'tooBig', ext };
  const ok = ext === 'csv' ? looksLikeText(head) : startsWith(head, MAGIC[ext]);
  return ok ? null : { reason: 'content', ext };
}

/** Reads only the head of the file (never the whole file) and checks it. */
export async function checkFile(file, maxBytes) {
  const ext = extensionOf(file.name);
  if (!ALLOWED.includes(ext) || file.size === 0 || file.size > maxBytes) return checkHead(file.name, file.size, new Uint8Array(0), maxBytes);
  const head = new Uint8Array(await file.slice(0, HEAD_BYTES).arrayBuffer());
  return checkHead(file.name, file.size, head, maxBytes);
}
