import { Transform, type TransformCallback } from 'node:stream';
import { UploadMalformed } from './errors.js';

/**
 * Recognises an OpenPGP message addressed to the office key WITHOUT
 * decrypting it (the server never holds the unlocked office key while
 * receiving, P4).
 *
 * The packet headers are parsed here by hand (RFC 9580 §4.2, which also
 * covers the RFC 4880 "old format" headers GnuPG still writes), not with
 * openpgp.js: openpgp.js parses whole packets and would have to see the
 * entire encrypted data packet — up to the file size limit — before saying
 * anything, while the decision is needed from the first few hundred bytes so
 * the upload can be refused before it is stored. Only headers, lengths and the
 * public-key encrypted session key (PKESK) packets' recipient ids are read.
 *
 * Two parts:
 * - `sniffOpenPgp(head, …)` decides from the head of the file: a message is
 *   accepted only if it starts with session-key packets (PKESK/SKESK, marker),
 *   at least one PKESK names an encryption subkey of the office key, and they
 *   are followed by an integrity-protected encrypted data packet (SEIPD v1/v2
 *   or the legacy AEAD packet). A message encrypted without integrity
 *   protection (tag 9) is refused: it could be altered undetectably.
 * - `OpenPgpFraming` checks the framing of the whole stream as it passes, so a
 *   truncated or padded message is refused instead of stored (no silently
 *   damaged drop): the data packet's (partial) lengths must end exactly at
 *   the end of the upload.
 */

const TAG_PKESK = 1;
const TAG_SKESK = 3;
const TAG_SED = 9; // encrypted without integrity protection: refused
const TAG_MARKER = 10;
const TAG_SEIPD = 18;
const TAG_AEAD = 20;
const SESSION_TAGS = new Set([TAG_PKESK, TAG_SKESK, TAG_MARKER]);
const DATA_TAGS = new Set([TAG_SEIPD, TAG_AEAD]);

/** Encryption subkeys of the office key: 16-hex key ids and 40-hex (v4) fingerprints, lower case. */
export interface OfficeRecipientIds {
  keyIds: ReadonlySet<string>;
  fingerprints: ReadonlySet<string>;
}

export type SniffResult =
  /** Not an OpenPGP encrypted message at all: treat the file as a plain upload. */
  | 'plain'
  /** Session-key packets with an office subkey among the recipients, then an integrity-protected data packet. */
  | 'office'
  /** An encrypted OpenPGP message, but not to the office key (or hidden recipients only). */
  | 'other-recipient'
  /** Starts like an encrypted OpenPGP message but is damaged or of a form we refuse. */
  | 'broken';

interface Header {
  tag: number;
  headerLength: number;
  /** Body length of this packet (or of its first chunk when partial); null = to the end of the file (old format). */
  length: number | null;
  partial: boolean;
}

/**
 * Packet header at `off`, or 'short' when the buffer ends inside it, or
 * 'invalid' when the first octet is not a packet tag.
 */
function readHeader(buf: Uint8Array, off: number): Header | 'short' | 'invalid' {
  if (off >= buf.length) return 'short';
  const ctb = buf[off]!;
  if ((ctb & 0x80) === 0) return 'invalid';
  if (ctb & 0x40) {
    const len = readNewLength(buf, off + 1);
    if (len === 'short') return 'short';
    return { tag: ctb & 0x3f, headerLength: 1 + len.octets, length: len.length, partial: len.partial };
  }
  const tag = (ctb >> 2) & 0x0f;
  const lengthType = ctb & 0x03;
  if (lengthType === 3) return { tag, headerLength: 1, length: null, partial: false };
  const octets = lengthType === 0 ? 1 : lengthType === 1 ? 2 : 4;
  if (off + 1 + octets > buf.length) return 'short';
  let length = 0;
  for (let i = 0; i < octets; i++) length = length * 256 + buf[off + 1 + i]!;
  return { tag, headerLength: 1 + octets, length, partial: false };
}

/** A new-format length (RFC 9580 §4.2.1) starting at `off`. */
export function readNewLength(buf: ArrayLike<number>, off: number): { length: number; octets: number; partial: boolean } | 'short' {
  if (off >= buf.length) return 'short';
  const o1 = buf[off]!;
  if (o1 < 192) return { length: o1, octets: 1, partial: false };
  if (o1 < 224) {
    if (off + 1 >= buf.length) return 'short';
    return { length: ((o1 - 192) << 8) + buf[off + 1]! + 192, octets: 2, partial: false };
  }
  if (o1 === 255) {
    if (off + 4 >= buf.length) return 'short';
    const length = buf[off + 1]! * 0x1000000 + (buf[off + 2]! << 16) + (buf[off + 3]! << 8) + buf[off + 4]!;
    return { length, octets: 5, partial: false };
  }
  return { length: 1 << (o1 & 0x1f), octets: 1, partial: true };
}

const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

/** Whether a PKESK body names one of the office's encryption subkeys (v3: key id; v6: fingerprint). */
function pkeskIsForOffice(body: Uint8Array, office: OfficeRecipientIds): boolean {
  const version = body[0];
  if (version === 3 && body.length >= 10) return office.keyIds.has(hex(body.subarray(1, 9)));
  if (version === 6 && body.length >= 2) {
    const n = body[1]!;
    // n = 0: anonymous recipient; otherwise key version octet + fingerprint.
    if (n < 2 || body.length < 2 + n) return false;
    const fpr = hex(body.subarray(3, 2 + n));
    return office.fingerprints.has(fpr) || (fpr.length === 40 && office.keyIds.has(fpr.slice(-16)));
  }
  return false;
}

/** Public-key algorithms a PKESK can name (RFC 9580 §9.1): RSA, Elgamal, ECDH, X25519, X448. */
const PKESK_ALGORITHMS = new Set([1, 2, 16, 18, 25, 26]);

/**
 * Whether a session-key packet body is well formed enough to be one. This is
 * what tells an OpenPGP message from a text file that merely starts with a
 * byte that looks like a packet header: Shift_JIS text does that all the time
 * (社 = 0x8E, 従 = 0x8F read as old-format SKESK headers; ① = 0x87 as a PKESK),
 * but its next bytes are never a version octet 3–6 followed by a valid layout.
 */
function sessionPacketValid(tag: number, body: Uint8Array): boolean {
  if (tag === TAG_MARKER) return body.length === 3 && body[0] === 0x50 && body[1] === 0x47 && body[2] === 0x50; // "PGP"
  if (tag === TAG_PKESK) {
    if (body[0] === 3) return body.length > 10 && PKESK_ALGORITHMS.has(body[9]!);
    if (body[0] === 6) {
      const n = body[1];
      return n !== undefined && body.length > 2 + n && PKESK_ALGORITHMS.has(body[2 + n]!);
    }
    return false;
  }
  // SKESK v4 (RFC 4880), v5 (AEAD draft, GnuPG), v6 (RFC 9580)
  return body.length >= 4 && (body[0] === 4 || body[0] === 5 || body[0] === 6);
}

/**
 * Decides from the first bytes of a file (`head`). Everything needed — all
 * session-key packets and the data packet's header and version octet — must
 * be inside the head. Until one well-formed session-key packet has been seen,
 * anything unexpected means "not OpenPGP" (`plain`: the plain type check
 * decides); after one, it means a damaged message (`broken`).
 */
export function sniffOpenPgp(head: Uint8Array, office: OfficeRecipientIds): SniffResult {
  let off = 0;
  let forOffice = false;
  let sessionPackets = 0;
  const notOpenPgp = (): SniffResult => (sessionPackets === 0 ? 'plain' : 'broken');
  for (;;) {
    const h = readHeader(head, off);
    if (h === 'invalid' || h === 'short') return notOpenPgp();
    if (DATA_TAGS.has(h.tag)) {
      if (sessionPackets === 0) return 'plain';
      const version = head[off + h.headerLength];
      const versionOk = h.tag === TAG_SEIPD ? version === 1 || version === 2 : version === 1;
      if (!versionOk) return 'broken';
      return forOffice ? 'office' : 'other-recipient';
    }
    // Encrypted without integrity protection: could be altered undetectably.
    if (h.tag === TAG_SED) return notOpenPgp();
    if (!SESSION_TAGS.has(h.tag) || h.partial || h.length === null) return notOpenPgp();
    const start = off + h.headerLength;
    const end = start + h.length;
    if (end > head.length) return notOpenPgp();
    const body = head.subarray(start, end);
    if (!sessionPacketValid(h.tag, body)) return notOpenPgp();
    if (h.tag !== TAG_MARKER) sessionPackets++;
    if (h.tag === TAG_PKESK && pkeskIsForOffice(body, office)) forOffice = true;
    off = end;
  }
}

/** ASCII-armored OpenPGP ("-----BEGIN PGP MESSAGE-----"): refused with a clear message, binary only. */
export function looksArmored(head: Uint8Array): boolean {
  const text = Buffer.from(head.buffer, head.byteOffset, Math.min(head.byteLength, 200)).toString('latin1').replace(/^\uFEFF|^\xEF\xBB\xBF/, '');
  return /^\s*-----BEGIN PGP (MESSAGE|SIGNED MESSAGE)-----/.test(text);
}

type State = 'header' | 'chunk-length' | 'body' | 'to-end' | 'done';

/**
 * Pass-through stream that checks the top-level packet framing of an
 * encrypted message as it flows: session-key packets, then exactly one data
 * packet whose (partial) body lengths end exactly where the stream ends.
 * Errors with `drops.errors.brokenMessage` on anything else.
 */
export class OpenPgpFraming extends Transform {
  private state: State = 'header';
  private pending: number[] = [];
  private remaining = 0;
  private tag = 0;
  private partial = false;

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    try {
      this.scan(chunk);
    } catch (err) {
      return cb(err as Error);
    }
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    cb(this.state === 'done' || this.state === 'to-end' ? null : new UploadMalformed('drops.errors.brokenMessage'));
  }

  private scan(buf: Buffer): void {
    let i = 0;
    while (i < buf.length) {
      switch (this.state) {
        case 'to-end':
          return;
        case 'done':
          throw new UploadMalformed('drops.errors.brokenMessage'); // bytes after the data packet
        case 'body': {
          const take = Math.min(this.remaining, buf.length - i);
          i += take;
          this.remaining -= take;
          if (this.remaining === 0) this.endOfChunk();
          break;
        }
        default:
          this.pending.push(buf[i++]!);
          if (this.pending.length > 6) throw new UploadMalformed('drops.errors.brokenMessage');
          this.decode();
      }
    }
  }

  private decode(): void {
    if (this.state === 'chunk-length') {
      const len = readNewLength(this.pending, 0);
      if (len === 'short') return;
      this.startBody(len.length, len.partial);
      return;
    }
    const h = readHeader(Uint8Array.from(this.pending), 0);
    if (h === 'short') return;
    if (h === 'invalid') throw new UploadMalformed('drops.errors.brokenMessage');
    const isData = DATA_TAGS.has(h.tag);
    // Partial and indeterminate lengths are allowed only for the data packet (RFC 9580 §4.2.1).
    if (!isData && (!SESSION_TAGS.has(h.tag) || h.partial || h.length === null)) throw new UploadMalformed('drops.errors.brokenMessage');
    this.tag = h.tag;
    if (h.length === null) {
      this.state = 'to-end';
      return;
    }
    this.startBody(h.length, h.partial);
  }

  private startBody(length: number, partial: boolean): void {
    this.pending = [];
    this.partial = partial;
    this.remaining = length;
    this.state = 'body';
    if (length === 0) this.endOfChunk();
  }

  private endOfChunk(): void {
    if (this.partial) this.state = 'chunk-length';
    else this.state = DATA_TAGS.has(this.tag) ? 'done' : 'header';
    this.pending = [];
  }
}
