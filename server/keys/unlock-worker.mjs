// Body of the key unlock thread (unlock-thread.ts). The OpenPGP S2K
// derivation that opens a locked copy of the office key costs ~40–50 ms of
// CPU; on the main thread 200 wrong passphrases would stall every other
// request (/healthz 5 ms → 610 ms). Here it runs on its own core.
//
// Plain JavaScript on purpose: a thread has no TypeScript loader, and this
// needs nothing but openpgp. It keeps nothing between jobs: each unlocked key
// is written out, handed over (transferred) and its private parameters
// cleared; a passphrase lives only in the message being handled. It never
// logs, and answers a failure by its kind only.
import { parentPort } from 'node:worker_threads';
import * as openpgp from 'openpgp';

const KEY_CONFIG = { aeadProtect: false, v6Keys: false };

async function handle(job) {
  if (job.op === 'decrypt') {
    let locked;
    try {
      locked = await openpgp.readPrivateKey({ armoredKey: job.armored });
    } catch {
      return { ok: false, error: 'damaged' };
    }
    let key;
    try {
      key = await openpgp.decryptKey({ privateKey: locked, passphrase: job.passphrase, config: KEY_CONFIG });
    } catch {
      return { ok: false, error: 'wrong' };
    }
    const written = key.write();
    const bytes = written.slice(); // a buffer of its own, to hand over whole
    written.fill(0);
    key.clearPrivateParams();
    return { ok: true, bytes };
  }
  if (job.op === 'relock') {
    // The key's parameters are views into these bytes: clearPrivateParams below zeroes them.
    const key = await openpgp.readPrivateKey({ binaryKey: new Uint8Array(job.bytes) });
    const locked = await openpgp.encryptKey({ privateKey: key, passphrase: job.passphrase, config: KEY_CONFIG });
    key.clearPrivateParams();
    return { ok: true, armored: locked.armor() };
  }
  return { ok: false, error: 'error' };
}

parentPort.on('message', async (job) => {
  let reply;
  try {
    reply = await handle(job);
  } catch {
    reply = { ok: false, error: 'error' };
  }
  const transfer = reply.bytes ? [reply.bytes.buffer] : [];
  parentPort.postMessage({ id: job.id, ...reply }, transfer);
});
