// Body of a blind-index thread (index-thread.ts): the HMAC-SHA256 blind
// indexes of a whole file's numbers at once, off the main thread (issue 12
// item 10: 83,000 of them took the web tier away for half a second). The
// same function as crypto.ts blindIndex; the index key arrives in workerData
// and dies with the thread. Plain JavaScript: no loader needed.
import { createHmac } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';

const { key, numbers } = workerData;
const out = new Array(numbers.length);
let ok = true;
for (let i = 0; i < numbers.length; i++) {
  const n = numbers[i];
  // 12 ASCII digits only, as blindIndex insists; anything else is answered by the main thread's own check.
  if (typeof n !== 'string' || !/^[0-9]{12}$/.test(n)) {
    ok = false;
    break;
  }
  out[i] = createHmac('sha256', key).update(n, 'latin1').digest('base64url');
}
parentPort.postMessage(ok ? { ok, indexes: out } : { ok });
