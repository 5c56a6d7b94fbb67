/**
 * The upload bench's peer: the least an HTTP server can do with an upload and
 * still keep it — pipe the request body (multipart framing and all) into a
 * file on the same filesystem as kinko's data folder, fsync it, answer 201.
 * No parsing, no hashing, no database. Runs as its own process (like kinko)
 * so its work and memory are apart from the bench's.
 *
 *   node --import tsx bench/upload/sink-server.ts <folder> <port>
 *
 * Prints "listening" once ready; every body goes to <folder>/body-<n>.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';

const [dir, portArg] = process.argv.slice(2);
if (!dir || !portArg) {
  console.error('usage: sink-server.ts <folder> <port>');
  process.exit(2);
}
let n = 0;

const server = http.createServer({ requestTimeout: 0 }, (req, res) => {
  const file = path.join(dir, `body-${++n}`);
  (async () => {
    // flush: fsync before the close (Node ≥ 20.10), so 201 means on disk.
    const ws = fs.createWriteStream(file, { mode: 0o600, flush: true });
    await pipeline(req, ws);
    const bytes = ws.bytesWritten;
    res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ file: path.basename(file), bytes }));
  })().catch((e: Error) => {
    res.writeHead(500).end(e.message);
  });
});
server.listen(Number(portArg), '127.0.0.1', () => console.log('listening'));
process.once('SIGTERM', () => server.close(() => process.exit(0)));
