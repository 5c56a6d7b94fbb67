// Body of the packed store's writer thread (local-pack-thread.ts): large
// createMany batches are inserted here, on a connection of this thread's own
// to the same records.sqlite, so the main thread's event loop is not held
// while tens of thousands of rows go in (an ingest runs its database
// transaction beside it). Plain JavaScript: a worker thread has no
// TypeScript loader, and this needs nothing but better-sqlite3.
//
// The same settings as the main connection (local-pack.ts): write-ahead log,
// synchronous=FULL (durable when the answer is sent), secure_delete, and a
// busy timeout for the moments the two connections meet; and a page cache
// sized for an ingest's records. A batch is one
// transaction: all of it or none; an existing key fails it as a whole.
import { parentPort } from 'node:worker_threads';
import Database from 'better-sqlite3';

const connections = new Map();

function connection(file) {
  let d = connections.get(file);
  if (d) return d;
  d = new Database(file, { fileMustExist: true });
  if (d.pragma('journal_mode = WAL', { simple: true }) !== 'wal') throw new Error('no write-ahead log');
  d.pragma('synchronous = FULL');
  d.pragma('secure_delete = ON');
  d.pragma('busy_timeout = 5000');
  // 32 MiB of page cache instead of SQLite's 2 MiB (issue 17): the objects
  // table is a B-tree keyed by random tokens, ≈ 85 bytes a record. Past
  // ≈ 25,000 records (a 10,000-employee roster) it outgrows 2 MiB, and every
  // insert of a large ingest then reads and spills pages at random: 122,231
  // records took 2.0 s instead of 1.1 s, 245,000 (100,000 employees) grew
  // faster still. 32 MiB holds ≈ 350,000 records' pages; the cache fills
  // only as far as a batch needs it.
  d.pragma(`cache_size = -${32 * 1024}`);
  connections.set(file, d);
  return d;
}

parentPort.on('message', (job) => {
  // job: { id, file, keys: string ('\n'-joined), offsets: Uint32Array (n + 1), data: ArrayBuffer, at }
  let reply;
  try {
    const d = connection(job.file);
    const keys = job.keys.split('\n');
    const data = Buffer.from(job.data);
    const ins = d.prepare('INSERT INTO objects (key, bytes, modified_ms) VALUES (?, ?, ?)');
    let current = '';
    try {
      d.transaction(() => {
        for (let i = 0; i < keys.length; i++) {
          current = keys[i];
          ins.run(current, data.subarray(job.offsets[i], job.offsets[i + 1]), job.at);
        }
      }).immediate();
      reply = { id: job.id, ok: true };
    } catch (e) {
      reply = e && e.code === 'SQLITE_CONSTRAINT_PRIMARYKEY' ? { id: job.id, ok: false, exists: current } : { id: job.id, ok: false, code: String((e && e.code) || 'error') };
    } finally {
      data.fill(0);
    }
  } catch (e) {
    reply = { id: job.id, ok: false, code: String((e && e.code) || 'unavailable') };
  }
  parentPort.postMessage(reply);
});
