import * as openpgp from 'openpgp';

/**
 * The office's signature on a bundle, made by openpgp.js as its own
 * sign-and-encrypt makes it, for a message whose packets kinko writes
 * (sealer.ts): a detached signature over the archive's bytes as they stream
 * (openpgp.sign, detached) — the same signature packet openpgp.js puts after
 * the literal packet of a one-pass signed message, since a binary v4
 * signature covers the data and not the literal packet's name or date — and
 * the one-pass signature packet openpgp.js derives from it
 * (OnePassSignaturePacket.fromSignaturePacket, as Message.sign does). The
 * hash algorithm is openpgp.js's choice for the signing key and the
 * recipient's key (the signing key alone for a passphrase), as in encrypt.
 * Nothing of the signature or its hash is computed here.
 *
 * openpgp.js hashes the data through a passive clone of the literal packet's
 * bytes: the clone advances only as the packet's own bytes are read (when it
 * writes the message). Here the message is never written, so those bytes are
 * read and dropped — `drain` — which is what feeds the hash.
 */
export interface OnePassSigner {
  /** The one-pass signature packet (header included), to go before the literal packet. */
  readonly onePass: Uint8Array;
  /** The next bytes of the literal data, held by reference until hashed. */
  write(bytes: Uint8Array): void;
  /** Resolves when fewer than `queued` bytes wait for the hash. */
  room(): Promise<void>;
  /** The signature packet (header included), once every byte was written. */
  end(): Promise<Uint8Array>;
  /** Stops the signature (the bundle failed); `end` and `room` then settle at once. */
  fail(err: unknown): void;
}

interface StreamedSignaturePacket {
  params: unknown;
}
const fromSignaturePacket = (openpgp.OnePassSignaturePacket as unknown as { fromSignaturePacket(s: openpgp.SignaturePacket, isLast: boolean): openpgp.OnePassSignaturePacket }).fromSignaturePacket;

async function readAll(s: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  const reader = s.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return Buffer.concat(parts);
    parts.push(value);
  }
}

export async function startSignature(
  signingKey: openpgp.PrivateKey,
  recipientKeys: openpgp.PublicKey[],
  date: Date,
  config: openpgp.PartialConfig,
  queued: number,
): Promise<OnePassSigner> {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let pulled: (() => void) | undefined;
  let failed = false;
  const data = new ReadableStream<Uint8Array>(
    {
      start(c) {
        controller = c;
      },
      pull() {
        pulled?.();
        pulled = undefined;
      },
    },
    new ByteLengthQueuingStrategy({ highWaterMark: queued }),
  );
  const message = await openpgp.createMessage({ binary: data, format: 'binary', date });
  // recipientKeys: openpgp.sign takes them (the hash algorithm follows their preferences, as in encrypt); its types omit them.
  const options = { message, signingKeys: signingKey, recipientKeys, detached: true, format: 'object', date, config } as openpgp.SignOptions & { message: openpgp.Message<ReadableStream<Uint8Array>>; format: 'object' };
  const signature = (await openpgp.sign(options)) as unknown as openpgp.Signature;
  const packet = signature.packets[0] as openpgp.SignaturePacket | undefined;
  if (!packet || signature.packets.length !== 1) throw new Error('expected one signature packet');
  // The signature's value is a promise until the data ends; a bundle that fails must not leave it rejected and unheard.
  Promise.resolve((packet as unknown as StreamedSignaturePacket).params).catch(() => undefined);
  const ops = new openpgp.PacketList<openpgp.AnyPacket>();
  ops.push(fromSignaturePacket(packet, true));
  const literal = message.packets.findPacket(openpgp.enums.packet.literalData) as unknown as { getBytes(): ReadableStream<Uint8Array> };
  const drain = (async () => {
    const reader = literal.getBytes().getReader();
    while (!(await reader.read()).done);
  })();
  drain.catch(() => undefined);
  const written = readAll(signature.write() as unknown as ReadableStream<Uint8Array>);
  written.catch(() => undefined);
  return {
    onePass: ops.write(),
    write: (bytes) => {
      if (!failed) controller.enqueue(bytes);
    },
    room: async () => {
      while (!failed && (controller.desiredSize ?? 1) <= 0) await new Promise<void>((r) => (pulled = r));
    },
    end: async () => {
      controller.close();
      await drain;
      return written;
    },
    fail: (err) => {
      if (failed) return;
      failed = true;
      controller.error(err);
      pulled?.();
    },
  };
}
