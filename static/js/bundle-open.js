/**
 * Opens a passphrase-sealed year-end bundle in the browser (issue 15 §5).
 * The sealed message is fetched as it is stored (ciphertext; the fetch is on
 * record as a download), decrypted here with the passphrase the office gave
 * by phone or paper, its signature checked against the office public key,
 * and the zip inside unpacked: each file is offered to save. Neither the
 * passphrase nor any file goes back to the server. OpenPGP.js and fflate
 * are served by kinko from node_modules, never from a CDN.
 */
import * as openpgp from '/static/vendor/openpgp.min.mjs';
import { unzipSync } from '/static/vendor/fflate.mjs';

const panel = document.getElementById('bundle-open');
const form = document.getElementById('open-form');
const status = document.getElementById('open-status');
const list = document.getElementById('open-files');
const csrf = document.querySelector('meta[name="csrf-token"]')?.getAttribute('content') ?? '';
const text = (k) => panel.dataset['t' + k[0].toUpperCase() + k.slice(1)] ?? k;
const say = (k, isError = false) => {
  status.textContent = text(k);
  status.className = isError ? 'message' : 'notice';
};

let sealed; // fetched once per page: a wrong passphrase is typed again without a second download
async function fetchSealed() {
  if (sealed) return sealed;
  const res = await fetch(panel.dataset.sealedUrl, { method: 'POST', credentials: 'same-origin', headers: { 'X-CSRF-Token': csrf } });
  if (res.status === 410 || res.status === 404) throw new Error('gone');
  if (!res.ok) throw new Error('network');
  const bytes = new Uint8Array(await res.arrayBuffer());
  const digest = Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)), (b) => b.toString(16).padStart(2, '0')).join('');
  if (digest !== panel.dataset.sha256) throw new Error('notBundle');
  sealed = bytes;
  return bytes;
}

async function officeKey() {
  const res = await fetch(panel.dataset.keyUrl, { cache: 'no-cache', credentials: 'same-origin' });
  if (!res.ok) throw new Error('network');
  return openpgp.readKey({ armoredKey: await res.text() });
}

function offer(name, bytes) {
  const url = URL.createObjectURL(new Blob([bytes], { type: 'application/octet-stream' }));
  const li = document.createElement('li');
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.textContent = `${text('save')}: ${name}`;
  a.className = 'button secondary';
  li.append(a);
  list.append(li);
}

form?.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const passphrase = form.elements.passphrase.value.trim();
  list.replaceChildren();
  try {
    say('fetching');
    const [bytes, key] = await Promise.all([fetchSealed(), officeKey()]);
    say('decrypting');
    const message = await openpgp.readMessage({ binaryMessage: bytes });
    let out;
    try {
      out = await openpgp.decrypt({ message, passwords: [passphrase], verificationKeys: key, expectSigned: true, format: 'binary' });
    } catch (err) {
      throw new Error(/signature/i.test(String(err?.message)) ? 'badSignature' : 'wrongPassphrase');
    }
    const files = unzipSync(out.data);
    const names = Object.keys(files);
    if (names.length === 0) throw new Error('notBundle');
    for (const name of names) offer(name, files[name]);
    form.elements.passphrase.value = '';
    say('done');
  } catch (err) {
    const k = ['gone', 'network', 'notBundle', 'wrongPassphrase', 'badSignature'].includes(err?.message) ? err.message : 'failed';
    say(k, true);
  }
});
