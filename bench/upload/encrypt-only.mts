/**
 * The encryption of a plain upload alone, without HTTP: each path of
 * encryptToOffice (KINKO_UPLOAD_ENCRYPT thread | inline | openpgpjs) over the
 * same bytes from memory in 64 KiB pieces (as busboy hands them over), and the
 * floor under them — OpenSSL's AES-256-CFB + SHA-1 over the same bytes, which
 * is what the packet writer must do at least. Interleaved rounds; CPU is the
 * whole process's (both threads). For finding where upload time goes
 * (bench/README.md, Uploads).
 *
 *   node --import tsx bench/upload/encrypt-only.mts [--mib 256] [--rounds 3]
 */
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import * as openpgp from 'openpgp';
import { encryptToOffice, type EncryptMode } from '../../server/drops/encrypt-stream.js';
import { stopEncryptThreads } from '../../server/drops/encrypt-thread.js';

function opt(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : def;
}
const mib = Number(opt('mib', '256'));
const rounds = Number(opt('rounds', '3'));

const { publicKey } = await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name: 'bench' }], format: 'object', config: { aeadProtect: false, v6Keys: false } });
const piece = Buffer.alloc(64 * 1024, '社員番号,氏名,部署\nE000000001,山田 太郎,総務部\n');
const pieces = mib * 16;
const source = () => Readable.from((function* () { for (let i = 0; i < pieces; i++) yield piece; })(), { objectMode: false });

async function measure(run: () => Promise<void>): Promise<{ wall: number; cpu: number }> {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  await run();
  const c = process.cpuUsage(c0);
  return { wall: (performance.now() - t0) / 1000, cpu: (c.user + c.system) / 1e6 };
}

const paths: Record<string, () => Promise<void>> = {
  'OpenSSL AES-256-CFB + SHA-1 (floor)': async () => {
    const c = createCipheriv('aes-256-cfb', randomBytes(32), Buffer.alloc(16));
    const h = createHash('sha1');
    const big = Buffer.concat(Array.from({ length: 16 }, () => piece));
    for (let i = 0; i < mib; i++) {
      h.update(big);
      c.update(big);
    }
    h.digest();
  },
};
paths['the source alone (no encryption)'] = async () => {
  for await (const _ of source()) void _;
};
for (const mode of ['thread', 'inline', 'openpgpjs'] as EncryptMode[]) {
  paths[`encryptToOffice ${mode}`] = async () => {
    for await (const _ of await encryptToOffice(source(), publicKey, mode)) void _;
  };
}
const results = new Map<string, Array<{ wall: number; cpu: number }>>();
for (let r = 0; r < rounds; r++) {
  const names = Object.keys(paths);
  const order = [...names.slice(r % names.length), ...names.slice(0, r % names.length)];
  for (const name of order) {
    const m = await measure(paths[name]!);
    results.set(name, [...(results.get(name) ?? []), m]);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(`encryption alone, ${mib} MiB from memory, ${rounds} interleaved rounds, median (node ${process.version})`);
for (const [name, ms] of results) {
  const wall = median(ms.map((m) => m.wall));
  const cpu = median(ms.map((m) => m.cpu));
  console.log(`${name.padEnd(38)} ${(mib / wall).toFixed(0).padStart(5)} MiB/s wall  ${(mib / cpu).toFixed(0).padStart(5)} MiB per CPU-s  (CPU s ${ms.map((m) => m.cpu.toFixed(2)).join('/')})`);
}
await stopEncryptThreads();
