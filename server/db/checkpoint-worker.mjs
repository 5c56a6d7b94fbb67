// Body of the embedded database's checkpoint thread (checkpoints.ts): a
// connection of its own to the same SQLite file that copies the write-ahead
// log back into the database file now and then, so no request's COMMIT has
// to. PASSIVE: it never waits for, or blocks, the app's readers and writers;
// frames still in use are left for the next turn. Plain JavaScript: a worker
// thread has no TypeScript loader, and this needs nothing but better-sqlite3.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const { file, everyMs } = workerData;
const db = new Database(file, { fileMustExist: true });
db.pragma('busy_timeout = 5000');
// Never checkpoint on its own commits (it makes none) nor on close: the app's connection decides that.
db.pragma('wal_autocheckpoint = 0');

function checkpoint() {
  try {
    const [r] = db.pragma('wal_checkpoint(PASSIVE)');
    parentPort.postMessage({ log: r.log, checkpointed: r.checkpointed });
  } catch (e) {
    parentPort.postMessage({ error: String((e && e.code) || 'error') });
  }
}

const timer = setInterval(checkpoint, everyMs);
parentPort.on('message', (m) => {
  if (m === 'now') return checkpoint();
  if (m === 'stop') {
    clearInterval(timer);
    db.close();
    parentPort.close();
  }
});
