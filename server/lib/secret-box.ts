import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/**
 * Seals small server-side secrets (TOTP seeds, printable access keys) with
 * AES-256-GCM under a key derived (HKDF) from the server secret, which lives
 * outside the database: a stolen database copy alone yields neither a working
 * TOTP seed nor a room URL. `purpose` binds each sealed value to its use.
 */
export class Sealer {
  private readonly key: Buffer;
  constructor(serverSecret: Buffer) {
    this.key = Buffer.from(hkdfSync('sha256', serverSecret, Buffer.alloc(0), 'kinko seal v1', 32));
  }

  seal(plaintext: string, purpose: string): string {
    const nonce = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.key, nonce);
    c.setAAD(Buffer.from(purpose));
    const body = Buffer.concat([c.update(plaintext, 'utf8'), c.final()]);
    return ['v1', nonce.toString('base64url'), body.toString('base64url'), c.getAuthTag().toString('base64url')].join('.');
  }

  unseal(sealed: string, purpose: string): string {
    const [v, nonce, body, tag] = sealed.split('.');
    if (v !== 'v1' || !nonce || !body || !tag) throw new Error('sealed value is malformed');
    const d = createDecipheriv('aes-256-gcm', this.key, Buffer.from(nonce, 'base64url'));
    d.setAAD(Buffer.from(purpose));
    d.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([d.update(Buffer.from(body, 'base64url')), d.final()]).toString('utf8');
  }
}
