/**
 * Encrypts a file to the office's OpenPGP public key in the browser, so the
 * plaintext never leaves this computer (design P1). OpenPGP.js is served by
 * kinko itself (/static/vendor, from node_modules), never from a CDN.
 */
import * as openpgp from '/static/vendor/openpgp.min.mjs';

let keyPromise;

/** The office public key, fetched once per page (again after a failure). */
export function officeKey(url) {
  keyPromise ??= loadKey(url).catch((err) => {
    keyPromise = undefined;
    throw err;
  });
  return keyPromise;
}

async function loadKey(url) {
  const res = await fetch(url, { cache: 'no-cache', credentials: 'same-origin' });
  if (!res.ok) throw new Error(`office key: HTTP ${res.status}`);
  const key = await openpgp.readKey({ armoredKey: await res.text() });
  if (key.isPrivate()) throw new Error('office key: a private key was served');
  // Throws when the key has no usable encryption subkey (expired, revoked).
  await key.getEncryptionKey();
  return key;
}

/**
 * The file as one binary OpenPGP message to the office key. The file is read
 * as a stream where the browser allows (File.stream()), so encryption does not
 * need the whole plaintext in memory; the ciphertext is collected into a Blob
 * because XMLHttpRequest needs a body of known size to report progress.
 */
export async function encryptFile(file, key) {
  const binary = typeof file.stream === 'function' ? file.stream() : new Uint8Array(await file.arrayBuffer());
  const message = await openpgp.createMessage({ binary });
  const encrypted = await openpgp.encrypt({
    message,
    encryptionKeys: key,
    format: 'binary',
    // SEIPD v1 (no AEAD): what GnuPG 2.2 reads; the office key is curve25519Legacy for the same reason.
    config: { aeadProtect: false },
  });
  if (encrypted instanceof Uint8Array) return new Blob([encrypted], { type: 'application/octet-stream' });
  const blob = await new Response(encrypted).blob();
  return blob.type ? blob : new Blob([blob], { type: 'application/octet-stream' });
}
