import zlib from 'node:zlib';

/**
 * A minimal zip writer for hostile test files: it writes whatever it is told,
 * including sizes that lie, encrypted flags, symlink attributes and names
 * with `../` — things a well-behaved zip library refuses to produce.
 */
export interface ZipEntrySpec {
  name: string;
  /** Stored or deflated from this data. */
  data?: Buffer;
  /** Pre-deflated bytes (with their crc and real size), for entries too large to hold inflated. */
  deflated?: { bytes: Buffer; crc: number; size: number };
  method?: 0 | 8;
  /** Overrides the uncompressed size written in the headers (a lie). */
  declaredSize?: number;
  flags?: number;
  externalAttr?: number;
  madeBy?: number;
}

export function buildZip(entries: ZipEntrySpec[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const method = e.deflated ? 8 : (e.method ?? 8);
    let body: Buffer;
    let crc: number;
    let size: number;
    if (e.deflated) {
      body = e.deflated.bytes;
      crc = e.deflated.crc;
      size = e.deflated.size;
    } else {
      const data = e.data ?? Buffer.alloc(0);
      body = method === 8 ? zlib.deflateRawSync(data) : data;
      crc = zlib.crc32(data);
      size = data.length;
    }
    const usize = e.declaredSize ?? size;
    const flags = (e.flags ?? 0) | 0x0800; // UTF-8 names
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(flags, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt16LE(0, 10);
    local.writeUInt16LE(0x21, 12);
    local.writeUInt32LE(crc >>> 0, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(usize >>> 0, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(e.madeBy ?? 20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(flags, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt16LE(0, 12);
    central.writeUInt16LE(0x21, 14);
    central.writeUInt32LE(crc >>> 0, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(usize >>> 0, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE((e.externalAttr ?? 0) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, body);
    centrals.push(central, name);
    offset += local.length + name.length + body.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

/** `size` zero bytes, deflated without ever holding them: the classic bomb payload. */
export async function deflatedZeros(size: number): Promise<{ bytes: Buffer; crc: number; size: number }> {
  const chunk = Buffer.alloc(1 << 20);
  const deflate = zlib.createDeflateRaw({ level: 1 });
  const out: Buffer[] = [];
  deflate.on('data', (b: Buffer) => out.push(b));
  const done = new Promise<void>((resolve, reject) => {
    deflate.on('end', resolve);
    deflate.on('error', reject);
  });
  let crc = 0;
  for (let written = 0; written < size; written += chunk.length) {
    const piece = size - written >= chunk.length ? chunk : chunk.subarray(0, size - written);
    crc = zlib.crc32(piece, crc);
    if (!deflate.write(piece)) await new Promise((r) => deflate.once('drain', r));
  }
  deflate.end();
  await done;
  return { bytes: Buffer.concat(out), crc, size };
}
