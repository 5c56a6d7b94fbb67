import { createHash, randomBytes } from 'node:crypto';

/** Every id, token, access key and session id comes from here: crypto.randomBytes, never a non-cryptographic generator. */
export function randomId(bytes = 16): string {
  return randomBytes(bytes).toString('base64url');
}

/** Random text from an alphabet without look-alikes (0/O, 1/l/I), for things people type from paper. */
export function randomReadable(length: number, alphabet = 'abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789'): string {
  const out: string[] = [];
  // Rejection sampling keeps every character equally likely.
  const limit = 256 - (256 % alphabet.length);
  while (out.length < length) {
    for (const b of randomBytes(length * 2)) {
      if (b < limit && out.length < length) out.push(alphabet[b % alphabet.length]!);
    }
  }
  return out.join('');
}

/** SHA-256 for looking up high-entropy secrets (session ids, access keys) without storing them. */
export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('base64url');
}
