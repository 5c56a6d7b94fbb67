import zlib from 'node:zlib';
import { ParseError } from './errors.js';
import type { ParseLimits } from './types.js';

/**
 * The decoded-bytes budget of a PDF (issue 12), checked BEFORE pdf.js sees
 * the file. pdf.js inflates a page's content stream into one growing buffer
 * with no limit of its own: a 1 MB PDF whose page stream inflates to 1 GiB
 * took the server from 757 to 2,387 MiB. So every Flate stream that pdf.js's
 * text extraction would decode is inflated here first, by zlib, its output
 * capped (`maxOutputLength`) at the first limit it could break — the same
 * limits as an xlsx's zip entries (security.md: total ≤ maxTotalBytes, ratio
 * ≤ maxRatio per stream), counted on what actually comes out, never on a
 * /Length or /DL the file claims.
 *
 * Images are passed over: text extraction never decodes them (and a flat
 * scan background legitimately compresses past 100:1). What this cannot see
 * — a stream inside an encrypted PDF, a filter chain that starts with
 * another filter — is still under the parse process's RSS cap
 * (worker/child-process.ts), which counts every byte the parse holds; this
 * budget exists so the common bomb gets a clear "too big" quickly instead of
 * a killed process.
 */
const RATIO_FLOOR = 1 << 20;
const STREAM = Buffer.from('stream');
const ENDSTREAM = Buffer.from('endstream');
/** How far back from `stream` the stream's dictionary is looked for. */
const DICT_WINDOW = 4096;

function dictionaryBefore(bytes: Buffer, at: number): string {
  const from = Math.max(0, at - DICT_WINDOW);
  const text = bytes.toString('latin1', from, at);
  const obj = text.lastIndexOf(' obj');
  return obj >= 0 ? text.slice(obj) : text;
}

function isZlibHeader(b0: number, b1: number): boolean {
  return (b0 & 0x0f) === 8 && ((b0 << 8) | b1) % 31 === 0;
}

/**
 * Inflated size of one stream's data, or throws `tooBig` once it passes `cap`.
 * Raw inflate after the 2-byte zlib header: pdf.js does not insist on the
 * trailing checksum, so a wrong one must not make a stream count as nothing
 * here. Data that does not inflate at all counts as 0: pdf.js cannot inflate it either.
 */
function inflatedSize(data: Buffer, cap: number, over: () => ParseError): number {
  try {
    return zlib.inflateRawSync(data.subarray(2), { maxOutputLength: Math.max(cap, 1), finishFlush: zlib.constants.Z_SYNC_FLUSH }).length;
  } catch (e) {
    if ((e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw over();
    return 0;
  }
}

export function checkPdfBudget(bytes: Buffer, limits: ParseLimits): { decodedBytes: number; streams: number } {
  const { maxTotalBytes, maxRatio } = limits.unpack;
  let decoded = 0;
  let streams = 0;
  let at = bytes.indexOf(STREAM);
  while (at >= 0) {
    // `stream` must stand as a keyword (not the tail of `endstream`) and be followed by EOL.
    let start = at + STREAM.length;
    const prev = at > 0 ? bytes[at - 1]! : 0x20;
    const isKeyword = prev !== 0x64 /* d of endstream */ && (bytes[start] === 0x0a || (bytes[start] === 0x0d && bytes[start + 1] === 0x0a));
    if (!isKeyword) {
      at = bytes.indexOf(STREAM, start);
      continue;
    }
    start += bytes[start] === 0x0d ? 2 : 1;
    const end = bytes.indexOf(ENDSTREAM, start);
    const dict = dictionaryBefore(bytes, at);
    // pdf.js goes by a direct /Length: a decoy `endstream` inside the data must not shorten what is counted here.
    const declared = /\/Length\s+(\d{1,12})(?![\d\s]*R)/.exec(dict);
    const byLength = declared ? Math.min(bytes.length, start + Number(declared[1])) : 0;
    const stop = Math.max(end >= 0 ? end : bytes.length, byLength);
    if (/\/FlateDecode|\/Fl\b/.test(dict) && !/\/Subtype\s*\/Image/.test(dict) && isZlibHeader(bytes[start] ?? 0, bytes[start + 1] ?? 0)) {
      const data = bytes.subarray(start, stop);
      const room = maxTotalBytes - decoded;
      const byRatio = Math.max(RATIO_FLOOR, maxRatio * data.length);
      const cap = Math.min(room, byRatio);
      decoded += inflatedSize(data, cap, () =>
        cap === room ? new ParseError('tooBig', 'PDF streams decode past the limit') : new ParseError('tooBig', 'PDF stream inflate ratio over the limit'),
      );
      streams++;
    }
    at = bytes.indexOf(STREAM, stop + ENDSTREAM.length);
  }
  return { decodedBytes: decoded, streams };
}
