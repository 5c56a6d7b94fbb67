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
 */
export interface ZipSummary {
  kind: 'xlsx';
  entries: number;
  inflatedBytes: number;
  maxRow: number;
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
const CELL_REF = /\sr="\$?[A-Za-z]{0,3}\$?(\d{1,10})"/g;

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

  const inflate = (entry: yauzl.Entry, name: string): Promise<void> =>
    new Promise((resolve, reject) => {
      zip.openReadStream(entry, (err, stream) => {
        if (err || !stream) return reject(new ParseError('corrupt', 'unreadable zip entry'));
        let inflated = 0;
        let first = true;
        let carry = '';
        const xml = /\.(xml|rels|vml)$/i.test(name) || name === '[Content_Types].xml';
        const sheet = /^xl\/worksheets\/[^/]+\.xml$/i.test(name);
        const fail = (e: ParseError) => {
          stream.destroy();
          reject(e);
        };
        stream.on('data', (chunk: Buffer) => {
          inflated += chunk.length;
          total += chunk.length;
          if (total > maxTotalBytes) return fail(new ParseError('tooBig', 'inflated total over the limit'));
          if (inflated > RATIO_FLOOR && inflated > maxRatio * Math.max(entry.compressedSize, 1))
            return fail(new ParseError('tooBig', 'inflate ratio over the limit'));
          if (first) {
            first = false;
            if (startsWithAny(chunk)) return fail(new ParseError('unsafe', 'nested archive'));
          }
          if (xml || sheet) {
            const text = carry + chunk.toString('latin1');
            if (xml && DTD.test(text)) return fail(new ParseError('unsafe', 'XML document type declaration'));
            if (sheet) {
              CELL_REF.lastIndex = 0;
              for (let m = CELL_REF.exec(text); m; m = CELL_REF.exec(text)) {
                const r = Number(m[1]);
                if (r > maxRow) maxRow = r;
              }
              if (maxRow > limits.parse.maxRows) return fail(new ParseError('tooBig', 'cell reference past the row limit'));
            }
            carry = text.slice(-64);
          }
          if (name === 'mimetype' && chunk.toString('latin1').startsWith('application/vnd.oasis.opendocument')) odf = true;
        });
        // yauzl counts too: more bytes than the entry declared is a bomb that lied about its size.
        stream.on('error', (e: Error) =>
          reject(/too many bytes/i.test(e.message) ? new ParseError('tooBig', 'entry inflates past its declared size') : new ParseError('corrupt', 'zip entry does not inflate')),
        );
        stream.on('end', () => resolve());
      });
    });

  try {
    await new Promise<void>((resolve, reject) => {
      zip.on('error', () => reject(new ParseError('corrupt', 'zip structure')));
      zip.on('end', () => resolve());
      zip.on('entry', (entry: yauzl.Entry) => {
        (async () => {
          if (++entries > maxEntries) throw new ParseError('tooBig', 'too many zip entries');
          const name = checkName(entry.fileName as unknown as Buffer);
          if (isSymlink(entry)) throw new ParseError('unsafe', 'symlink zip entry');
          if (entry.isEncrypted()) throw new ParseError('encrypted', 'encrypted zip entry');
          if (ARCHIVE_NAME.test(name)) throw new ParseError('unsafe', 'nested archive');
          if (/^xl\/workbook\.(xml|bin)$/i.test(name)) workbook = true;
          if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8) throw new ParseError('unsupported', 'zip compression method');
          if (!name.endsWith('/')) await inflate(entry, name);
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
  return { kind: 'xlsx', entries, inflatedBytes: total, maxRow };
}
