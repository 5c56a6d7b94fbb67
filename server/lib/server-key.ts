import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign as edSign, verify as edVerify, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { randomId } from './random.js';

/**
 * The server's Ed25519 signing key: it signs statements kinko makes to people
 * outside it — audit checkpoints (P6), upload receipts — so they can later
 * show that a statement came from this server and was not altered since.
 *
 * Unlike the audit MAC key, the public half can be handed out: anyone holding
 * a signed statement and the public key can check it without any secret.
 * The private key stays in the secrets folder (owner-only), never in the
 * database, so a database-only attacker cannot forge a signature.
 */
export interface ServerKey {
  /** Ed25519 signature of `data`, base64url. */
  sign(data: string | Buffer): string;
  /** True when `signature` (base64url) is this key's signature of `data`. */
  verify(data: string | Buffer, signature: string): boolean;
  publicKeyPem: string;
  /** "sha256:" + hex of the DER public key: short enough to read aloud and compare. */
  fingerprint: string;
}

const PRIVATE_FILE = 'server-ed25519.pem';
const PUBLIC_FILE = 'server-ed25519.pub.pem';

/**
 * Loads the key pair from `secretsDir`, creating it on first use. The private
 * key file appears atomically (written to a temp name, then hard-linked, which
 * fails if the name exists): two processes starting at once both end up with
 * the same, complete key — never a half-written file or two different keys.
 */
export function loadOrCreateServerKey(secretsDir: string): ServerKey {
  fs.mkdirSync(secretsDir, { recursive: true, mode: 0o700 });
  const file = path.join(secretsDir, PRIVATE_FILE);
  let pem = readIfExists(file);
  if (pem === undefined) {
    const { privateKey } = generateKeyPairSync('ed25519');
    const tmp = path.join(secretsDir, `.${PRIVATE_FILE}.${randomId(6)}.tmp`);
    fs.writeFileSync(tmp, privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, { mode: 0o600, flag: 'wx' });
    try {
      fs.linkSync(tmp, file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      // Another process won the race: keep theirs.
    } finally {
      fs.rmSync(tmp, { force: true });
    }
    pem = fs.readFileSync(file, 'utf8');
  }
  const privateKey = createPrivateKey(pem);
  // The public key is derived from the private one, never trusted from its file:
  // the .pub.pem is a copy for people to hand out.
  const publicKey = createPublicKey(privateKey);
  const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }) as string;
  writePublicCopy(path.join(secretsDir, PUBLIC_FILE), publicKeyPem);
  return {
    sign: (data) => edSign(null, toBuffer(data), privateKey).toString('base64url'),
    verify: (data, signature) => verifyWith(publicKey, data, signature),
    publicKeyPem,
    fingerprint: fingerprintOf(publicKey),
  };
}

/** Checks a signature with a public key given as PEM (e.g. the one carried by a checkpoint). */
export function verifyWithPublicKey(publicKeyPem: string, data: string | Buffer, signature: string): boolean {
  let key: KeyObject;
  try {
    key = createPublicKey(publicKeyPem);
  } catch {
    return false;
  }
  if (key.asymmetricKeyType !== 'ed25519') return false;
  return verifyWith(key, data, signature);
}

export function publicKeyFingerprint(publicKeyPem: string): string | undefined {
  try {
    return fingerprintOf(createPublicKey(publicKeyPem));
  } catch {
    return undefined;
  }
}

function verifyWith(key: KeyObject, data: string | Buffer, signature: string): boolean {
  if (!/^[A-Za-z0-9_-]+$/.test(signature)) return false;
  try {
    return edVerify(null, toBuffer(data), key, Buffer.from(signature, 'base64url'));
  } catch {
    return false;
  }
}

function fingerprintOf(key: KeyObject): string {
  return 'sha256:' + createHash('sha256').update(key.export({ type: 'spki', format: 'der' })).digest('hex');
}

function toBuffer(data: string | Buffer): Buffer {
  return typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
}

function readIfExists(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function writePublicCopy(file: string, pem: string): void {
  if (readIfExists(file) === pem) return;
  const tmp = `${file}.${randomId(6)}.tmp`;
  fs.writeFileSync(tmp, pem, { mode: 0o644, flag: 'wx' });
  fs.renameSync(tmp, file);
}
