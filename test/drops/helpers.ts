import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { CookieAccessInfo } from 'cookiejar';
import * as openpgp from 'openpgp';
import type { Deps } from '../../server/deps.js';
import { csrfToken, makeCompany, makeUser, signedInAgent, type MadeUser } from '../helpers/actors.js';
import type { TestApp } from '../helpers/app.js';

/**
 * Arrangements shared by the drops suites: an office key (generated here,
 * unlocked, so GnuPG can decrypt what the server stored), a signed-in client
 * in its room, raw multipart bodies (for malformed cases and streaming large
 * files without holding them in memory), and looks into storage and data.
 */

export interface TestOfficeKey {
  fingerprint: string;
  publicArmored: string;
  privateArmored: string;
  publicKey: openpgp.PublicKey;
  privateKey: openpgp.PrivateKey;
}

let generated: Promise<TestOfficeKey> | undefined;

async function generate(name = 'Test Office'): Promise<TestOfficeKey> {
  const { publicKey, privateKey } = await openpgp.generateKey({
    type: 'ecc',
    curve: 'curve25519Legacy',
    userIDs: [{ name, email: 'office@example.jp' }],
    format: 'armored',
    config: { aeadProtect: false, v6Keys: false },
  });
  const pub = await openpgp.readKey({ armoredKey: publicKey });
  return {
    fingerprint: pub.getFingerprint(),
    publicArmored: publicKey,
    privateArmored: privateKey,
    publicKey: pub,
    privateKey: await openpgp.readPrivateKey({ armoredKey: privateKey }),
  };
}

/** Another key, for "encrypted, but not to the office" cases. */
export function strangerKey(): Promise<TestOfficeKey> {
  return generate('Someone Else');
}

/** The office key pair of this test file (generated once), without any app. */
export function officeKeyPair(): Promise<TestOfficeKey> {
  generated ??= generate();
  return generated;
}

/** The office key of this test app (one generated key per test file, inserted into office_keys). */
export async function installOfficeKey(deps: Deps): Promise<TestOfficeKey> {
  const k = await officeKeyPair();
  const exists = await deps.db.selectFrom('office_keys').select('fingerprint').where('fingerprint', '=', k.fingerprint).executeTakeFirst();
  if (!exists) {
    await deps.db
      .insertInto('office_keys')
      .values({ fingerprint: k.fingerprint, public_key: k.publicArmored, created_at: deps.clock.now().toISOString() })
      .execute();
  }
  return k;
}

export interface RoomClient {
  company: { id: string; accessKey: string; name: string };
  user: MadeUser;
  agent: Awaited<ReturnType<typeof signedInAgent>>['agent'];
  sid: string;
  csrf: string;
  /** The agent's cookies (session + CSRF cookie) as a Cookie header, for raw requests. */
  cookies: string;
  base: string;
}

export async function clientInRoom(t: TestApp, name = 'テスト株式会社'): Promise<RoomClient> {
  const company = await makeCompany(t.deps, name);
  const user = await makeUser(t.deps, { role: 'client', companyId: company.id });
  const { agent, sid } = await signedInAgent(t.app, t.deps, user);
  const csrf = await csrfToken(agent, '/');
  const jar = agent.jar as unknown as { getCookies(a: unknown): Array<{ toValueString(): string }> };
  const cookies = jar.getCookies(CookieAccessInfo.All).map((ck) => ck.toValueString()).join('; ');
  return { company, user, agent, sid, csrf, cookies, base: `/room/${company.accessKey}` };
}

/** Every object in the drops location, plus what sits in the local adapter's temp folder. */
export async function storedObjects(t: TestApp): Promise<{ objects: string[]; temp: string[] }> {
  const objects: string[] = [];
  for await (const o of t.deps.storage.drops.list()) objects.push(o.key);
  const tmpDir = path.join(t.dataDir, 'drops', '.tmp');
  const temp = fs.existsSync(tmpDir) ? fs.readdirSync(tmpDir) : [];
  return { objects, temp };
}

export async function dropRows(t: TestApp): Promise<number> {
  const r = await t.deps.db.selectFrom('drops').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(r.n);
}

/** Waits until `check` holds (storage cleanup after an abort runs after the socket is gone). */
export async function eventually(check: () => Promise<boolean>, ms = 5000): Promise<boolean> {
  const until = Date.now() + ms;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > until) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}

// ---- raw multipart ---------------------------------------------------------

export const BOUNDARY = '----kinkoTestBoundary7MA4YWxkTrZu0gW';

export function partHeader(field: string, filename: string, contentType = 'application/octet-stream', boundary = BOUNDARY): Buffer {
  return Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${filename}"\r\nContent-Type: ${contentType}\r\n\r\n`,
    'utf8',
  );
}

export function closing(boundary = BOUNDARY): Buffer {
  return Buffer.from(`\r\n--${boundary}--\r\n`);
}

/** A complete multipart body with the given files. */
export function multipartBody(files: Array<{ field?: string; name: string; data: Buffer; type?: string }>, boundary = BOUNDARY): Buffer {
  const parts: Buffer[] = [];
  files.forEach((f, i) => {
    if (i > 0) parts.push(Buffer.from('\r\n'));
    parts.push(partHeader(f.field ?? 'files', f.name, f.type, boundary), f.data);
  });
  parts.push(closing(boundary));
  return Buffer.concat(parts);
}

// ---- a real listening server (for streaming and socket-level cases) ----------

export interface Listening {
  port: number;
  close(): Promise<void>;
}

export async function listen(t: TestApp): Promise<Listening> {
  const server = http.createServer(t.app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/**
 * POSTs a multipart body produced chunk by chunk (so a 100 MiB file never sits
 * in memory). `onProgress` runs between chunks and may await (e.g. revoke the
 * session mid-upload).
 */
export function streamPost(
  port: number,
  urlPath: string,
  headers: Record<string, string>,
  chunks: AsyncIterable<Buffer> | Iterable<Buffer>,
  onProgress?: (sent: number) => Promise<void> | void,
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: urlPath, method: 'POST', headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}`, ...headers } });
    let settled = false;
    req.on('response', (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => {
        settled = true;
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts).toString('utf8') });
      });
    });
    req.on('error', (e) => {
      if (!settled) reject(e);
    });
    (async () => {
      let sent = 0;
      for await (const c of chunks as AsyncIterable<Buffer>) {
        if (req.destroyed) return;
        if (!req.write(c)) await new Promise((r) => req.once('drain', r));
        sent += c.length;
        await onProgress?.(sent);
      }
      req.end();
    })().catch(reject);
  });
}

/** `size` bytes of CSV-looking text, generated in 1 MiB chunks. */
export function* csvBytes(size: number, line = 'E00001,山田 太郎,テスト,2019/04/01\n'): Generator<Buffer> {
  const unit = Buffer.from(line);
  const chunk = Buffer.alloc(1 << 20);
  for (let i = 0; i < chunk.length; i++) chunk[i] = unit[i % unit.length]!;
  let left = size;
  while (left > 0) {
    const n = Math.min(left, chunk.length);
    yield n === chunk.length ? chunk : chunk.subarray(0, n);
    left -= n;
  }
}

// ---- sample files ------------------------------------------------------------

export const fixtures = '/work/shared/fixtures';

export function fixture(name: string): Buffer {
  return fs.readFileSync(path.join(fixtures, name));
}

/** A zip holding one stored text entry: a zip, but not a workbook. */
export function plainZip(entryName = 'readme.txt', content = 'hello'): Buffer {
  const data = Buffer.from(content);
  const name = Buffer.from(entryName);
  const crc = crc32(data);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt32LE(crc, 14);
  local.writeUInt32LE(data.length, 18);
  local.writeUInt32LE(data.length, 22);
  local.writeUInt16LE(name.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt32LE(crc, 16);
  central.writeUInt32LE(data.length, 20);
  central.writeUInt32LE(data.length, 24);
  central.writeUInt16LE(name.length, 28);
  const localLen = local.length + name.length + data.length;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + name.length, 12);
  end.writeUInt32LE(localLen, 16);
  return Buffer.concat([local, name, data, central, name, end]);
}

function crc32(buf: Buffer): number {
  let c = ~0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return ~c >>> 0;
}

export const PNG = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52]),
  randomBytes(64),
]);
export const EXE = Buffer.concat([Buffer.from('MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00', 'latin1'), randomBytes(512)]);

// ---- GnuPG -------------------------------------------------------------------

/** Decrypts `cipher` with GnuPG given the office secret key, in a throwaway home. */
export function gpgDecrypt(key: TestOfficeKey, cipher: Buffer): Buffer {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-gpg-'));
  try {
    const env = { ...process.env, GNUPGHOME: home };
    const imp = spawnSync('gpg', ['--batch', '--import'], { input: key.privateArmored, env });
    if (imp.status !== 0) throw new Error(`gpg --import failed: ${imp.stderr.toString()}`);
    const dec = spawnSync('gpg', ['--batch', '--quiet', '--decrypt'], { input: cipher, env, maxBuffer: 512 * 1024 * 1024 });
    if (dec.status !== 0) throw new Error(`gpg --decrypt failed: ${dec.stderr.toString()}`);
    return dec.stdout;
  } finally {
    spawnSync('gpgconf', ['--kill', 'all'], { env: { ...process.env, GNUPGHOME: home } });
    fs.rmSync(home, { recursive: true, force: true });
  }
}

/**
 * A GnuPG home holding the office secret key, for many decryptions in a row
 * (fuzzing): each answers gpg's exit status and output, so a refusal is seen
 * as gpg reports it rather than thrown.
 */
export function gpgWithOfficeKey(key: TestOfficeKey): {
  /** `statusLines`: gpg's machine-readable status (--status-fd) goes to stderr too, e.g. DECRYPTION_OKAY, GOODMDC. */
  decrypt(cipher: Buffer, opts?: { statusLines?: boolean }): { status: number | null; stdout: Buffer; stderr: string };
  close(): void;
} {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-gpg-'));
  const env = { ...process.env, GNUPGHOME: home };
  const imp = spawnSync('gpg', ['--batch', '--import'], { input: key.privateArmored, env });
  if (imp.status !== 0) throw new Error(`gpg --import failed: ${imp.stderr.toString()}`);
  return {
    decrypt(cipher, opts = {}) {
      const dec = spawnSync('gpg', ['--batch', '--quiet', ...(opts.statusLines ? ['--status-fd', '2'] : []), '--decrypt'], { input: cipher, env, maxBuffer: 512 * 1024 * 1024 });
      return { status: dec.status, stdout: dec.stdout, stderr: dec.stderr.toString() };
    },
    close() {
      spawnSync('gpgconf', ['--kill', 'all'], { env });
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
}

/** Encrypts with GnuPG to the office public key (binary, GnuPG's own packet framing). */
export function gpgEncrypt(key: TestOfficeKey, plain: Buffer): Buffer {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-gpg-'));
  try {
    const env = { ...process.env, GNUPGHOME: home };
    const imp = spawnSync('gpg', ['--batch', '--import'], { input: key.publicArmored, env });
    if (imp.status !== 0) throw new Error(`gpg --import failed: ${imp.stderr.toString()}`);
    const enc = spawnSync('gpg', ['--batch', '--trust-model', 'always', '--recipient', key.fingerprint, '--encrypt'], { input: plain, env, maxBuffer: 512 * 1024 * 1024 });
    if (enc.status !== 0) throw new Error(`gpg --encrypt failed: ${enc.stderr.toString()}`);
    return enc.stdout;
  } finally {
    spawnSync('gpgconf', ['--kill', 'all'], { env: { ...process.env, GNUPGHOME: home } });
    fs.rmSync(home, { recursive: true, force: true });
  }
}

/** Encrypts with openpgp.js as the room page does (binary). */
export async function browserEncrypt(to: openpgp.PublicKey, plain: Buffer): Promise<Buffer> {
  const msg = await openpgp.encrypt({
    message: await openpgp.createMessage({ binary: new Uint8Array(plain) }),
    encryptionKeys: to,
    format: 'binary',
    config: { aeadProtect: false },
  });
  return Buffer.from(msg as Uint8Array);
}

/** Every file under `dir` (data folder), for "nothing readable on disk" checks. */
export function allFiles(dir: string): string[] {
  const out: string[] = [];
  for (const ent of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, ent.name);
    if (ent.isDirectory()) out.push(...allFiles(full));
    else if (ent.isFile()) out.push(full);
  }
  return out;
}
