/**
 * The 本人交付 bundle's seal alone, without PDFs: ~300 MB of synthetic bytes
 * in pieces of 24–40 KiB (as the employees' PDFs come) zipped and sealed —
 * signed with an office key, encrypted to a client key (or --to passphrase) —
 * by each path over the same pieces, into a sink that drops the ciphertext:
 *   - the primitives alone: the hashes and the cipher any seal of these bytes
 *     pays in this node's OpenSSL (the floor under the seal);
 *   - the zip alone (fflate + each file's SHA-256 for the manifest; no seal),
 *     the part of sealStreamed that is not the seal;
 *   - openpgp.js's streaming sign+encrypt (the seal before, seal-openpgpjs.ts);
 *   - kinko's packet writer (sealStreamed now: openpgp.js's session-key packet
 *     and signature, OpenSSL AES-CFB + SHA-1);
 *   - the peer: `gpg --sign --encrypt` of the same pieces (no zip) from a pipe.
 * Interleaved rounds; CPU is this process's (all threads) or, for gpg, gpg's
 * own (/usr/bin/time). For bench/README.md, Year-end bundles.
 *
 *   node --import tsx bench/bundles/seal-only.mts [--mb 300] [--rounds 3] [--to key|passphrase]
 */
import { spawn } from 'node:child_process';
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { Zip, ZipPassThrough } from 'fflate';
import * as openpgp from 'openpgp';
import { fileEntry, type BundleFile, type Recipient } from '../../server/bundles/seal/seal.js';
import { sealStreamed } from '../../server/bundles/seal/seal-stream.js';
import { sealStreamedOpenpgpjs } from './seal-openpgpjs.js';

function opt(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : def;
}
const mb = Number(opt('mb', '300'));
const rounds = Number(opt('rounds', '3'));
const toKind = opt('to', 'key');

const config = { aeadProtect: false, v6Keys: false } as const;
const office = await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name: 'bench office', email: 'office@bench.invalid' }], format: 'object', config });
const client = await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name: 'bench client', email: 'client@bench.invalid' }], format: 'object', config });
const to: Recipient = toKind === 'passphrase' ? { kind: 'passphrase', passphrase: 'aaaaa-bbbbb-ccccc-ddddd-eeeee-fffff' } : { kind: 'client-key', publicKey: client.publicKey };

// The pieces: windows of a random pool (PDFs' compressed streams look random to a cipher), 24–40 KiB each.
const pool = randomBytes(32 << 20);
let seed = 7;
const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
const pieces: Buffer[] = [];
for (let total = 0; total < mb * 1e6; ) {
  const n = (24 << 10) + Math.floor(rnd() * (16 << 10));
  const at = Math.floor(rnd() * (pool.length - n));
  pieces.push(pool.subarray(at, at + n));
  total += n;
}
const totalBytes = pieces.reduce((s, p) => s + p.length, 0);
async function* files(): AsyncGenerator<BundleFile> {
  for (let i = 0; i < pieces.length; i++) yield { name: `honnin/${String(i).padStart(5, '0')}.pdf`, bytes: pieces[i]! };
}
const manifestOf = (entries: unknown[]) => Buffer.from(JSON.stringify({ files: entries }));
const sink = async (body: Readable) => {
  for await (const _ of body) void _;
};

// gpg with the same office key (secret, for signing) and client key.
const home = fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-seal-bench-'));
fs.chmodSync(home, 0o700);
const gpgArgs = ['--homedir', home, '--batch', '--no-tty', '--quiet'];
for (const key of [office.privateKey.armor(), client.publicKey.armor()]) {
  await new Promise<void>((resolve, reject) => {
    const g = spawn('gpg', [...gpgArgs, '--import'], { stdio: ['pipe', 'ignore', 'ignore'] });
    g.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`gpg --import ${code}`))));
    g.stdin.end(key);
  });
}
const gpgSeal = () =>
  new Promise<{ cpu: number }>((resolve, reject) => {
    const recipient = to.kind === 'client-key' ? ['--encrypt', '--recipient', 'client@bench.invalid'] : ['--symmetric', '--pinentry-mode', 'loopback', '--passphrase', to.passphrase];
    const g = spawn('/usr/bin/time', ['-f', '%U %S', 'gpg', ...gpgArgs, '--trust-model', 'always', '--compress-algo', 'none', '--local-user', 'office@bench.invalid', '--sign', ...recipient, '--output', '/dev/null'], { stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    g.stderr.on('data', (d: Buffer) => (err += d.toString()));
    g.on('exit', (code) => {
      const [u, s] = (err.trim().split('\n').at(-1) ?? '').split(' ').map(Number);
      if (code === 0 && u !== undefined && s !== undefined) resolve({ cpu: u + s });
      else reject(new Error(`gpg ${code}: ${err}`));
    });
    void (async () => {
      for (const p of pieces) if (!g.stdin.write(p)) await new Promise((r) => g.stdin.once('drain', r));
      g.stdin.end();
    })();
  });

const paths: Record<string, () => Promise<number | void>> = {
  // What any seal of these bytes pays in this node's OpenSSL: the signature's hash (openpgp.js picks SHA-512
  // for these keys), AES-256-CFB and the MDC's SHA-1, and the stored bytes' SHA-256 (the bundle's row).
  'primitives alone (SHA-512, CFB, SHA-1, SHA-256)': async () => {
    const [h512, h1, h256] = [createHash('sha512'), createHash('sha1'), createHash('sha256')];
    const c = createCipheriv('aes-256-cfb', randomBytes(32), Buffer.alloc(16));
    for (let i = 0; i < pieces.length; i += 32) {
      const b = Buffer.concat(pieces.slice(i, i + 32));
      h512.update(b);
      h1.update(b);
      h256.update(c.update(b));
    }
    for (const h of [h512, h1, h256]) h.digest();
  },
  'zip alone (no seal)': async () => {
    const zip = new Zip(() => undefined);
    const entries = [];
    for await (const f of files()) {
      entries.push(fileEntry(f));
      const e = new ZipPassThrough(f.name);
      zip.add(e);
      e.push(f.bytes, true);
    }
    zip.end();
  },
  'openpgp.js sign+encrypt (before)': async () => void (await sealStreamedOpenpgpjs(files(), 'kinko_R07_honnin.zip', office.privateKey, to, manifestOf, sink)),
  'kinko packet writer (now)': async () => void (await sealStreamed(files(), 'kinko_R07_honnin.zip', office.privateKey, to, manifestOf, sink)),
  'gpg --sign --encrypt (peer, no zip)': async () => (await gpgSeal()).cpu,
};

async function measure(run: () => Promise<number | void>): Promise<{ wall: number; cpu: number }> {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const own = await run();
  const c = process.cpuUsage(c0);
  return { wall: (performance.now() - t0) / 1000, cpu: typeof own === 'number' ? own : (c.user + c.system) / 1e6 };
}
const results = new Map<string, Array<{ wall: number; cpu: number }>>();
for (let r = 0; r < rounds; r++) {
  const names = Object.keys(paths);
  for (const name of [...names.slice(r % names.length), ...names.slice(0, r % names.length)]) {
    const m = await measure(paths[name]!);
    results.set(name, [...(results.get(name) ?? []), m]);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const MB = totalBytes / 1e6;
console.log(`seal alone: ${pieces.length} pieces, ${MB.toFixed(0)} MB, to ${to.kind}, ${rounds} interleaved rounds, median (node ${process.version}, ${os.cpus().length} cores, load ${os.loadavg()[0]!.toFixed(1)})`);
for (const [name, ms] of results) {
  const wall = median(ms.map((m) => m.wall));
  const cpu = median(ms.map((m) => m.cpu));
  const each = ms.map((m) => `${m.wall.toFixed(2)}/${m.cpu.toFixed(2)}`).join('  ');
  console.log(`${name.padEnd(38)} wall ${wall.toFixed(2)} s ${(MB / wall).toFixed(0).padStart(4)} MB/s   CPU ${cpu.toFixed(2)} s ${(MB / cpu).toFixed(0).padStart(4)} MB/CPU-s   (wall/CPU each: ${each})`);
}
fs.rmSync(home, { recursive: true, force: true });
