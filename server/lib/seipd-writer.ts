import { createCipheriv, createHash, randomBytes, type Cipher, type Hash } from 'node:crypto';

/**
 * The bulk of an OpenPGP message, written packet by packet: a Symmetrically
 * Encrypted Integrity Protected Data packet, version 1 (RFC 4880 §5.13,
 * tag 18) holding one Literal Data packet (§5.9, tag 11) and the Modification
 * Detection Code packet (§5.14, tag 19). The session-key packet in front of
 * it is openpgp.js's (seipd-message.ts); this file only frames bytes.
 * A signed message (the year-end bundles) has whole packets made by
 * openpgp.js around the literal one — its one-pass signature packet before
 * (`leading`), its signature packet after (`end(trailing)`) — which are
 * encrypted here as they are, like the literal packet's body.
 *
 * Why by hand: openpgp.js's streaming encrypt of the same packets costs
 * several times what its cipher does (Web-stream hand-offs, concatenations,
 * garbage), and was most of the gap to gpg (bench/README.md, Uploads). Here the cipher is
 * OpenSSL's AES-CFB (`createCipheriv('aes-256-cfb')`) and the MDC OpenSSL's
 * SHA-1 — library primitives, nothing hand-rolled — and the rest is framing.
 * Version 1 because GnuPG 2.2 refuses SEIPD v2 (AEAD).
 *
 * What §5.13 asks of v1, and openpgp.js does the same
 * (SymEncryptedIntegrityProtectedDataPacket.encrypt): the plaintext is a
 * random prefix of blocksize octets with its last two repeated, then the
 * packets, then the MDC packet (0xD3 0x14 and SHA-1 of everything before it,
 * those two octets included); all of it encrypted as one run of standard CFB
 * with an all-zero IV — no resynchronisation (that is the old tag 9 packet).
 *
 * Lengths (§4.2.2.4): both packets stream with partial body lengths of
 * PART_BYTES (a power of two, ≥ 512 as the first part must be), and the last
 * length is always an ordinary one, never a partial. The literal packet cuts
 * a part as soon as one is full, so a caller that hands over FIRST_CHUNK_BYTES
 * (when the literal packet names no file) and then PART_BYTES at a time has each chunk encrypted whole at once and
 * may reuse its memory (`holdsInput`); when the data ends on a part boundary
 * the last length is 0, which §4.2.2.4 allows. The SEIPD packet cuts a part
 * only while more bytes wait behind it (it holds only its own ciphertext).
 *
 * Threat: a tampered or truncated message read as good — the MDC covers every
 * plaintext octet (prefix and framing too), and readers (gpg, openpgp.js)
 * check it before they report success; test/drops/seipd-writer.test.ts
 * proves both refuse every damaged copy.
 */

export type SymmetricName = 'aes128' | 'aes192' | 'aes256';

const CIPHERS: Record<SymmetricName, { openssl: string; keyBytes: number }> = {
  aes128: { openssl: 'aes-128-cfb', keyBytes: 16 },
  aes192: { openssl: 'aes-192-cfb', keyBytes: 24 },
  aes256: { openssl: 'aes-256-cfb', keyBytes: 32 },
};
const BLOCK_BYTES = 16;

/** 2^20: one header octet per MiB; a power of two as partial lengths must be. */
export const PART_POWER = 20;
export const PART_BYTES = 2 ** PART_POWER;

const TAG_LITERAL = 0xc0 | 11;
/** Format, file-name length, date: the literal body's first octets, in its first part (and the file name, when there is one). */
const LITERAL_HEADER_BYTES = 6;
/** Plaintext that fills the literal packet's first part exactly (after its header, which names no file). */
export const FIRST_CHUNK_BYTES = PART_BYTES - LITERAL_HEADER_BYTES;
const TAG_SEIPD = 0xc0 | 18;
const MDC_HEADER = Buffer.from([0xc0 | 19, 20]);

/** A new-format length (§4.2.2.1–3) for a body of `n` octets. */
export function simpleLength(n: number): Buffer {
  if (n < 192) return Buffer.from([n]);
  if (n < 8384) return Buffer.from([((n - 192) >> 8) + 192, (n - 192) & 0xff]);
  const b = Buffer.alloc(5);
  b[0] = 0xff;
  b.writeUInt32BE(n, 1);
  return b;
}

/** Bytes queued in arrival order, taken off the front in exact amounts without copying. */
class Queue {
  private parts: Buffer[] = [];
  bytes = 0;

  push(b: Buffer): void {
    if (b.length === 0) return;
    this.parts.push(b);
    this.bytes += b.length;
  }

  /** The first `n` queued bytes (n ≤ bytes), as views of what was pushed. */
  take(n: number): Buffer[] {
    const out: Buffer[] = [];
    let left = n;
    while (left > 0) {
      const head = this.parts[0]!;
      if (head.length <= left) {
        out.push(head);
        this.parts.shift();
        left -= head.length;
      } else {
        out.push(head.subarray(0, left));
        this.parts[0] = head.subarray(left);
        left = 0;
      }
    }
    this.bytes -= n;
    return out;
  }
}

/**
 * Streams one SEIPD v1 packet. `write` takes plaintext in any pieces and
 * returns the packet bytes ready so far (possibly none); `end` returns the
 * rest, MDC included. Synchronous and self-contained, so the same code runs
 * on the main thread or on an encryption thread (encrypt-thread.ts).
 */
export class SeipdV1Writer {
  private readonly cipher: Cipher;
  private readonly mdc: Hash = createHash('sha1');
  /** Literal-data body not yet framed (plaintext). */
  private readonly literal = new Queue();
  /** SEIPD body not yet framed (the version octet, then ciphertext). */
  private readonly body = new Queue();
  private out: Buffer[] = [];
  private ended = false;

  /**
   * @param sessionKey the message's session key (copied into OpenSSL's context; the caller zeroes its copy)
   * @param date the literal packet's date (seconds), as openpgp.js writes the time of encryption
   * @param opts.fileName the literal packet's file name (UTF-8, at most 255 octets); none by default
   * @param opts.leading whole packets to go before the literal packet (a one-pass signature packet)
   * @param opts.prefix random prefix of one block; tests pass their own to compare with other writers
   */
  constructor(algorithm: SymmetricName, sessionKey: Uint8Array, date: Date, opts: { fileName?: string; leading?: Uint8Array; prefix?: Buffer } = {}) {
    const prefix = opts.prefix ?? randomBytes(BLOCK_BYTES);
    const name = Buffer.from(opts.fileName ?? '', 'utf8');
    if (name.length > 255) throw new Error('file name longer than 255 octets');
    const c = CIPHERS[algorithm];
    if (!c) throw new Error(`unsupported session-key algorithm ${String(algorithm)}`);
    if (sessionKey.length !== c.keyBytes) throw new Error('session key of the wrong size');
    if (prefix.length !== BLOCK_BYTES) throw new Error('prefix must be one block');
    this.cipher = createCipheriv(c.openssl, sessionKey, Buffer.alloc(BLOCK_BYTES));
    this.out.push(Buffer.from([TAG_SEIPD]));
    this.body.push(Buffer.from([1]));
    this.encrypt(Buffer.concat([prefix, prefix.subarray(BLOCK_BYTES - 2)]));
    if (opts.leading) this.encrypt(opts.leading);
    this.encrypt(Buffer.from([TAG_LITERAL]));
    // Literal header: binary ('b'), the file name (for drops none: the name stays in the drops row), the date.
    const head = Buffer.alloc(LITERAL_HEADER_BYTES + name.length);
    head[0] = 0x62;
    head[1] = name.length;
    name.copy(head, 2);
    head.writeUInt32BE(Math.floor(date.getTime() / 1000) >>> 0, 2 + name.length);
    this.literal.push(head);
  }

  write(plain: Buffer): Buffer[] {
    if (this.ended) throw new Error('write after end');
    this.literal.push(plain);
    while (this.literal.bytes >= PART_BYTES) {
      this.encrypt(Buffer.from([0xe0 + PART_POWER]));
      for (const p of this.literal.take(PART_BYTES)) this.encrypt(p);
    }
    return this.drain();
  }

  /** Whether plaintext handed to `write` is still referenced (not yet a whole part); if not, its memory may be reused. */
  get holdsInput(): boolean {
    return this.literal.bytes > 0;
  }

  /** @param trailing whole packets to go after the literal packet (a signature packet) */
  end(trailing?: Uint8Array): Buffer[] {
    if (this.ended) throw new Error('end after end');
    this.ended = true;
    const n = this.literal.bytes;
    this.encrypt(simpleLength(n));
    for (const p of this.literal.take(n)) this.encrypt(p);
    if (trailing) this.encrypt(trailing);
    this.mdc.update(MDC_HEADER);
    this.body.push(this.cipher.update(MDC_HEADER));
    const digest = this.mdc.digest();
    this.body.push(this.cipher.update(digest));
    this.body.push(this.cipher.final());
    this.frameBody();
    const rest = this.body.bytes;
    this.out.push(simpleLength(rest), ...this.body.take(rest));
    return this.drain();
  }

  /** Plaintext of the SEIPD body: into the MDC and through the cipher. */
  private encrypt(b: Uint8Array): void {
    this.mdc.update(b);
    this.body.push(this.cipher.update(b));
    this.frameBody();
  }

  /** Cuts full partial-length parts of the SEIPD body while more bytes wait behind them. */
  private frameBody(): void {
    while (this.body.bytes > PART_BYTES) {
      this.out.push(Buffer.from([0xe0 + PART_POWER]), ...this.body.take(PART_BYTES));
    }
  }

  private drain(): Buffer[] {
    const o = this.out;
    this.out = [];
    return o;
  }
}
