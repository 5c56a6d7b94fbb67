import zlib from 'node:zlib';

/**
 * A PDF stream's FlateDecode bytes, in a buffer of their own size. Node's
 * deflateSync hands back a view into its 16 KiB output chunk: kept as it is,
 * each of 10,000 one-kilobyte page streams would hold on to 16 KiB (160 MB of
 * memory for a 10 MB PDF). The copy is small-buffer pooled and costs a memcpy.
 */
export function deflate(data: Buffer | string, level: number): Buffer {
  return Buffer.from(zlib.deflateSync(data, { level }));
}
