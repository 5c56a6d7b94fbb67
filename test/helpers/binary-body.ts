import type { Response } from 'superagent';

/** supertest's parser for a body kept as bytes (a download, a PDF): `.buffer(true).parse(binaryBody)`, then `res.body as Buffer`. */
export function binaryBody(res: Response, cb: (err: Error | null, body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => cb(null, Buffer.concat(chunks)));
}
