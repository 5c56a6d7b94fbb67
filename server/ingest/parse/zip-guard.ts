import zlib from 'node:zlib';
import yauzl from 'yauzl';
import { ParseError } from './errors.js';
import type { ParseLimits } from './types.js';

/**
 * Walks an xlsx (a zip) BEFORE any parser sees it, inflating every entry and
 * counting the bytes that actually come out — declared sizes are a claim an
 * attacker writes. Stops at the first entry over the limits of security.md
 * (entries, total inflated bytes, inflate ratio), and refuses what a
 * workbook never needs: nested archives, `../` or absolute names, symlinks,
 * encrypted entries, XML document type declarations (the door to entity
 * expansion and external entities), and cell references past the row cap.
 *
 * Each entry is inflated once, by zlib, with its output capped at the first
 * limit it could break (`maxOutputLength`), so a bomb stops there. The
 * inflated entries are handed on to SheetJS as they are (`parts`): the
 * workbook parser reads exactly the bytes checked here, under the names
 * checked here, and does not inflate again.
 */
export interface ZipPart {
  /** The entry's name as SheetJS reads names: one character per byte. */
  name: string;
  data: Buffer;
}

export interface ZipSummary {
  kind: 'xlsx';
  entries: number;
  inflatedBytes: number;
  maxRow: number;
  parts: ZipPart[];
}

// Below this many inflated bytes an entry's ratio is not judged: tiny XML parts compress extremely well.
const RATIO_FLOOR = 1 << 20;
const ARCHIVE_NAME = /\.(zip|xlsx|xlsm|xlsb|docx|pptx|jar|gz|tgz|7z|rar|bz2|xz|cab|lzh)$/i;
const ARCHIVE_MAGIC: number[][] = [
  [0x50, 0x4b, 0x03, 0x04], // zip
  [0x50, 0x4b, 0x05, 0x06], // empty zip
  [0x1f, 0x8b], // gzip
  [0x37, 0x7a, 0xbc, 0xaf], // 7z
  [0x52, 0x61, 0x72, 0x21], // rar
  [0x42, 0x5a, 0x68], // bzip2
  [0xfd, 0x37, 0x7a, 0x58], // xz
  [0x4d, 0x53, 0x43, 0x46], // cab
];
const DTD = /<!(doctype|entity)/i;
// Bit 0: encrypted; 0x40: strong encryption; 0x2000: masked local headers (SheetJS refuses these as encrypted too).
const ENCRYPTED_FLAGS = 0x2041;
// A row or cell reference (`<row r="…">`, `<c r="…">`) as XML allows it to be
// written: either quote, spaces around `=`, any number of digits. A row past
// the limit is refused here with a message, never skipped silently by a reader.
const CELL_REF = /\sr\s*=\s*(["'])\$?[A-Za-z]{0,3}\$?(\d+)\1/g;

function startsWithAny(head: Buffer): boolean {
  return ARCHIVE_MAGIC.some((m) => head.length >= m.length && m.every((b, i) => head[i] === b));
}

function checkName(raw: Buffer): string {
  const name = raw.toString('utf8');
  if (name.includes('\0')) throw new ParseError('unsafe', 'zip entry name with NUL');
  if (/^[/\\]/.test(name) || /^[A-Za-z]:/.test(name)) throw new ParseError('unsafe', 'absolute zip entry name');
  if (name.split(/[/\\]/).some((seg) => seg === '..')) throw new ParseError('unsafe', 'zip entry name with ..');
  return name;
}

function isSymlink(entry: yauzl.Entry): boolean {
  const madeByUnix = entry.versionMadeBy >> 8 === 3;
  return madeByUnix && ((entry.externalFileAttributes >>> 16) & 0xf000) === 0xa000;
}

function openZip(bytes: Buffer): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(bytes, { lazyEntries: true, decodeStrings: false, validateEntrySizes: true, strictFileNames: false }, (err, zip) =>
      err ? reject(new ParseError('corrupt', 'unreadable zip directory')) : resolve(zip),
    );
  });
}

/** The entry's bytes as stored in the zip (yauzl reads the local header for where they start). */
async function storedBytes(zip: yauzl.ZipFile, bytes: Buffer, entry: yauzl.Entry): Promise<Buffer> {
  let start: number;
  try {
    start = (await zip.readLocalFileHeaderPromise(entry, { minimal: true })).fileDataStart;
  } catch {
    throw new ParseError('corrupt', 'unreadable zip entry');
  }
  const end = start + entry.compressedSize;
  if (end > bytes.length) throw new ParseError('corrupt', 'zip entry past the end of the file');
  return bytes.subarray(start, end);
}

/** Inflates one entry, refusing it as soon as it passes the total, its ratio, or its own declared size. */
function inflate(stored: Buffer, entry: yauzl.Entry, room: number, maxRatio: number): Buffer {
  const byRatio = Math.max(RATIO_FLOOR, maxRatio * Math.max(entry.compressedSize, 1));
  const cap = Math.min(room, byRatio, entry.uncompressedSize);
  const over = () =>
    cap === entry.uncompressedSize && cap < room && cap < byRatio
      ? new ParseError('tooBig', 'entry inflates past its declared size')
      : cap === room
        ? new ParseError('tooBig', 'inflated total over the limit')
        : new ParseError('tooBig', 'inflate ratio over the limit');
  let out: Buffer;
  if (entry.compressionMethod === 0) out = stored;
  else {
    try {
      // One output chunk the size the entry declares (within bounds), so the result needs no second copy.
      const chunkSize = Math.min(Math.max(entry.uncompressedSize + 1, 64 * 1024), 16 << 20);
      out = zlib.inflateRawSync(stored, { maxOutputLength: Math.max(cap, 1), chunkSize });
    } catch (e) {
      if ((e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw over();
      throw new ParseError('corrupt', 'zip entry does not inflate');
    }
  }
  if (out.length > cap) throw over();
  // Fewer bytes than declared: damaged.
  if (out.length !== entry.uncompressedSize) throw new ParseError('corrupt', 'zip entry does not inflate');
  return out;
}

export async function guardZip(bytes: Buffer, limits: ParseLimits): Promise<ZipSummary> {
  const { maxEntries, maxTotalBytes, maxRatio } = limits.unpack;
  const zip = await openZip(bytes);
  if (zip.entryCount > maxEntries) {
    zip.close();
    throw new ParseError('tooBig', `zip claims ${zip.entryCount} entries`);
  }
  let entries = 0;
  let total = 0;
  let maxRow = 0;
  let workbook = false;
  let odf = false;
  const parts: ZipPart[] = [];

  const check = (data: Buffer, name: string): void => {
    if (startsWithAny(data)) throw new ParseError('unsafe', 'nested archive');
    const xml = /\.(xml|rels|vml)$/i.test(name) || name === '[Content_Types].xml';
    const sheet = /^xl\/worksheets\/[^/]+\.xml$/i.test(name);
    if (xml || sheet) {
      const text = data.toString('latin1');
      if (xml && DTD.test(text)) throw new ParseError('unsafe', 'XML document type declaration');
      if (sheet) {
        CELL_REF.lastIndex = 0;
        for (let m = CELL_REF.exec(text); m; m = CELL_REF.exec(text)) {
          const r = m[2]!.length > 15 ? Infinity : Number(m[2]);
          if (r > maxRow) maxRow = r;
        }
        if (maxRow > limits.parse.maxRows) throw new ParseError('tooManyRows', 'cell reference past the row limit');
      }
    }
    if (name === 'mimetype' && data.toString('latin1').startsWith('application/vnd.oasis.opendocument')) odf = true;
  };

  try {
    await new Promise<void>((resolve, reject) => {
      zip.on('error', () => reject(new ParseError('corrupt', 'zip structure')));
      zip.on('end', () => resolve());
      zip.on('entry', (entry: yauzl.Entry) => {
        (async () => {
          if (++entries > maxEntries) throw new ParseError('tooBig', 'too many zip entries');
          const raw = entry.fileName as unknown as Buffer;
          const name = checkName(raw);
          if (isSymlink(entry)) throw new ParseError('unsafe', 'symlink zip entry');
          if (entry.isEncrypted() || entry.generalPurposeBitFlag & ENCRYPTED_FLAGS) throw new ParseError('encrypted', 'encrypted zip entry');
          if (ARCHIVE_NAME.test(name)) throw new ParseError('unsafe', 'nested archive');
          if (/^xl\/workbook\.(xml|bin)$/i.test(name)) workbook = true;
          if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8) throw new ParseError('unsupported', 'zip compression method');
          if (!name.endsWith('/')) {
            const data = inflate(await storedBytes(zip, bytes, entry), entry, maxTotalBytes - total, maxRatio);
            total += data.length;
            check(data, name);
            parts.push({ name: raw.toString('latin1'), data });
          }
          zip.readEntry();
        })().catch(reject);
      });
      zip.readEntry();
    });
  } finally {
    zip.close();
  }
  if (odf) throw new ParseError('unsupported', 'OpenDocument');
  if (!workbook) throw new ParseError('unsupported', 'zip without an Excel workbook');
  return { kind: 'xlsx', entries, inflatedBytes: total, maxRow, parts };
}
