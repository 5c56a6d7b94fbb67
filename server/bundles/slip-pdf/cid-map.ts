/**
 * A font's CIDToGIDMap stream (ISO 32000-1 §9.7.4.2), FlateDecode, written
 * straight from the glyphs it maps. The map has two bytes for every CID up
 * to the highest one drawn — a face glyph id, up to ≈ 17,000 in Noto Sans JP —
 * and is zero except at the ≈ 20 glyphs a document's own font holds. Made
 * with zlib, each of the 10,000 individual 本人交付 PDFs allocated and
 * compressed its ≈ 30 KB of zeros: ≈ 40 % of making them (bench/README
 * "Year-end bundle PDFs"). Here the zlib stream (RFC 1950) is one block of
 * the deflate format's fixed codes (RFC 1951 §3.2.6): each run of zeros is a
 * literal zero and copies of the byte before it (distance 1, up to 258 bytes
 * a copy), every other byte a literal; the checksum is worked out from the
 * non-zero bytes alone. Any inflater reads it (tested against node:zlib).
 */

/** Length codes 257…285: the shortest length each stands for and its extra bits. */
const LENGTH_BASE = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258];
const LENGTH_EXTRA = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
const ADLER = 65521;

class Bits {
  private readonly out: Buffer;
  private at = 0;
  private acc = 0;
  private n = 0;

  constructor(maxBytes: number) {
    this.out = Buffer.allocUnsafe(maxBytes);
  }

  /** `count` (≤ 16) bits of `value`, least significant first (deflate's order for everything but Huffman codes). */
  put(value: number, count: number): void {
    this.acc |= value << this.n;
    this.n += count;
    while (this.n >= 8) {
      this.out[this.at++] = this.acc & 0xff;
      this.acc >>>= 8;
      this.n -= 8;
    }
  }

  bytes(): Buffer {
    if (this.n > 0) this.out[this.at++] = this.acc & 0xff;
    this.n = 0;
    return this.out.subarray(0, this.at);
  }
}

/** A Huffman code goes most significant bit first: reversed once here, then written as plain bits. */
function reversed(value: number, count: number): number {
  let r = 0;
  for (let i = 0; i < count; i++) r |= ((value >> i) & 1) << (count - 1 - i);
  return r;
}

const LITERAL = Array.from({ length: 256 }, (_, v) => (v < 144 ? reversed(0x30 + v, 8) : reversed(0x190 + v - 144, 9)));
const LENGTH_CODE = LENGTH_BASE.map((_, i) => (i + 257 < 280 ? reversed(i + 1, 7) : reversed(0xc0 + i + 257 - 280, 8)));
const LENGTH_BITS = LENGTH_BASE.map((_, i) => (i + 257 < 280 ? 7 : 8));

/** Length code 285 (258 bytes, no extra bits) and distance code 0, as one 13-bit write. */
const COPY_258 = (LENGTH_CODE[LENGTH_BASE.length - 1] as number) | 0;

function literal(bits: Bits, v: number): void {
  bits.put(LITERAL[v] as number, v < 144 ? 8 : 9);
}

/** `length` (3…258) bytes copied from `distance` 1 back. */
function copy(bits: Bits, length: number): void {
  let i = LENGTH_BASE.length - 1;
  while ((LENGTH_BASE[i] as number) > length) i--;
  bits.put(LENGTH_CODE[i] as number, LENGTH_BITS[i] as number);
  bits.put(length - (LENGTH_BASE[i] as number), LENGTH_EXTRA[i] as number);
  bits.put(0, 5); // distance code 0: distance 1
}

function zeros(bits: Bits, n: number): void {
  if (n <= 0) return;
  literal(bits, 0);
  let left = n - 1;
  for (; left >= 258; left -= 258) bits.put(COPY_258, 13);
  if (left >= 3) {
    copy(bits, left);
    left = 0;
  }
  for (; left > 0; left--) literal(bits, 0);
}

/**
 * @param gids the subset's glyphs in its order (ascending face glyph ids):
 *   CID `gids[i]` maps to glyph `i`.
 * @returns the map, FlateDecode-compressed.
 */
export function cidToGidMap(gids: readonly number[]): Buffer {
  const last = gids.length ? (gids[gids.length - 1] as number) : 0;
  const size = 2 * (last + 1);
  // At most: a 13-bit copy per 258 bytes, 9 bits per non-zero byte, a literal zero and a short copy per run.
  const bits = new Bits(8 + Math.ceil(size / 258) * 2 + gids.length * 12);
  bits.put(1, 1); // the last block
  bits.put(1, 2); // fixed Huffman codes
  let at = 0; // bytes of the map written
  let a = 1;
  let b = size % ADLER; // adler32's b = n + Σ (n − i)·byte_i, i from 0
  const byte = (v: number) => {
    if (v === 0) {
      zeros(bits, 1);
    } else {
      literal(bits, v);
      a = (a + v) % ADLER;
      b = (b + ((size - at) % ADLER) * v) % ADLER;
    }
    at++;
  };
  gids.forEach((gid, i) => {
    if (i === 0) return; // glyph 0 at CID gids[0] (.notdef at 0): two zero bytes like the gaps
    zeros(bits, 2 * gid - at);
    at = 2 * gid;
    byte(i >> 8);
    byte(i & 0xff);
  });
  zeros(bits, size - at);
  bits.put(0, 7); // end of block (256)
  const body = bits.bytes();
  const out = Buffer.alloc(2 + body.length + 4);
  out[0] = 0x78;
  out[1] = 0x01;
  body.copy(out, 2);
  out.writeUInt32BE(((b << 16) | a) >>> 0, 2 + body.length);
  return out;
}
