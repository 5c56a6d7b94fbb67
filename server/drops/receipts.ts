import { loadOrCreateServerKey, type ServerKey } from '../lib/server-key.js';
import type { DropRecord } from './repo.js';

/**
 * Upload receipts a client can keep and later show: signed by the server's
 * Ed25519 key (server/lib/server-key.ts — not the office key, which stays
 * locked), over a canonical JSON text of the receipt fields.
 *
 * Canonical form (what the signature covers): the receipt object with its
 * keys sorted by UTF-16 code unit order, no whitespace, values as
 * JSON.stringify writes them, encoded as UTF-8. The receipt holds only
 * strings and integers, so this equals RFC 8785 (JCS). To check one:
 *
 *   const text = canonicalJson(receipt);
 *   crypto.verify(null, Buffer.from(text), publicKeyPem, Buffer.from(signature, 'base64url'))
 */
export interface Receipt {
  /** Format version of this receipt. */
  v: 1;
  dropId: string;
  /** Original file name as kept (cleaned, see file-name.ts). */
  fileName: string;
  /** Bytes of the stored ciphertext. */
  size: number;
  /** Hex SHA-256 of the stored ciphertext. */
  sha256: string;
  /** When the drop was committed, ISO-8601 UTC. */
  receivedAt: string;
}

export interface SignedReceipt {
  receipt: Receipt;
  /** Ed25519 signature of canonicalJson(receipt), base64url. */
  signature: string;
  algorithm: 'Ed25519';
  /** SPKI PEM of the server signing key. */
  publicKey: string;
  keyFingerprint: string;
}

export function receiptOf(d: Pick<DropRecord, 'id' | 'fileName' | 'size' | 'sha256' | 'createdAt'>): Receipt {
  return { v: 1, dropId: d.id, fileName: d.fileName, size: d.size, sha256: d.sha256, receivedAt: d.createdAt };
}

/** Sorted keys, no whitespace (see above). Only plain JSON values. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

const keys = new Map<string, ServerKey>();

/** The server signing key of this installation, loaded once per secrets folder. */
export function receiptKey(secretsDir: string): ServerKey {
  let k = keys.get(secretsDir);
  if (!k) {
    k = loadOrCreateServerKey(secretsDir);
    keys.set(secretsDir, k);
  }
  return k;
}

export function signReceipt(key: ServerKey, receipt: Receipt): SignedReceipt {
  return {
    receipt,
    signature: key.sign(Buffer.from(canonicalJson(receipt), 'utf8')),
    algorithm: 'Ed25519',
    publicKey: key.publicKeyPem,
    keyFingerprint: key.fingerprint,
  };
}

/** Sizes as people read them: "1.2 MB" / "1,234 バイト". */
export function formatSize(bytes: number, lang: 'ja' | 'en' = 'ja'): string {
  const n = new Intl.NumberFormat(lang === 'en' ? 'en-US' : 'ja-JP');
  if (bytes < 1024) return lang === 'en' ? `${n.format(bytes)} bytes` : `${n.format(bytes)} バイト`;
  const units = ['KB', 'MB', 'GB'];
  let v = bytes / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${n.format(Math.round(v * 10) / 10)} ${units[i]}`;
}
