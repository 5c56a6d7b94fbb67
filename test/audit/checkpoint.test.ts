import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { GENESIS } from '../../server/audit/chain.js';
import { checkpointText, makeCheckpoint, readCheckpoint, type Checkpoint } from '../../server/audit/checkpoint.js';
import { openDatabase, type OpenDatabase } from '../../server/db/connection.js';
import { migrateToLatest } from '../../server/db/migrate.js';
import { loadOrCreateServerKey, verifyWithPublicKey } from '../../server/lib/server-key.js';
import { buildChain } from './chain-helpers.js';

const tempDirs: string[] = [];
function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-sk-'));
  tempDirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of tempDirs) fs.rmSync(d, { recursive: true, force: true });
});

describe('the server signing key', () => {
  it('is created once as owner-only PEM files and loaded again unchanged', () => {
    const dir = tempDir();
    const a = loadOrCreateServerKey(path.join(dir, 'secrets'));
    const files = fs.readdirSync(path.join(dir, 'secrets'));
    expect(files.sort()).toEqual(['server-ed25519.pem', 'server-ed25519.pub.pem']);
    expect(fs.statSync(path.join(dir, 'secrets', 'server-ed25519.pem')).mode & 0o077).toBe(0);
    expect(fs.statSync(path.join(dir, 'secrets')).mode & 0o077).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'secrets', 'server-ed25519.pem'), 'utf8')).toContain('BEGIN PRIVATE KEY');

    const b = loadOrCreateServerKey(path.join(dir, 'secrets'));
    expect(b.fingerprint).toBe(a.fingerprint);
    expect(b.publicKeyPem).toBe(a.publicKeyPem);
    expect(a.fingerprint).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('signs, and the signature checks out only for the same bytes and the same key', () => {
    const key = loadOrCreateServerKey(tempDir());
    const other = loadOrCreateServerKey(tempDir());
    const sig = key.sign('受領 receipt 42');
    expect(key.verify('受領 receipt 42', sig)).toBe(true);
    expect(verifyWithPublicKey(key.publicKeyPem, Buffer.from('受領 receipt 42'), sig)).toBe(true);
    expect(key.verify('受領 receipt 43', sig)).toBe(false);
    expect(other.verify('受領 receipt 42', sig)).toBe(false);
    expect(key.verify('受領 receipt 42', 'not*base64')).toBe(false);
    expect(verifyWithPublicKey('not a key', 'x', sig)).toBe(false);
  });

  it('when several processes start at once on an empty folder, they all end up with the same key', async () => {
    const dir = path.join(tempDir(), 'secrets');
    const modulePath = path.resolve('server/lib/server-key.ts');
    const script = `const m = await import(${JSON.stringify(modulePath)}); console.log(m.loadOrCreateServerKey(${JSON.stringify(dir)}).fingerprint);`;
    const run = () =>
      new Promise<string>((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        let err = '';
        child.stdout.on('data', (c) => (out += c));
        child.stderr.on('data', (c) => (err += c));
        child.on('close', (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(err))));
      });
    const prints = await Promise.all(Array.from({ length: 6 }, run));
    expect(new Set(prints).size).toBe(1);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});

describe('checkpoint files', () => {
  let key: ReturnType<typeof loadOrCreateServerKey>;
  let conn: OpenDatabase;
  let good: Checkpoint;
  beforeAll(async () => {
    key = loadOrCreateServerKey(tempDir());
    conn = await openDatabase({ kind: 'sqlite', file: path.join(tempDir(), 'kinko.sqlite') });
    await migrateToLatest(conn.db);
    await buildChain(conn.db, randomBytes(32), 42);
    good = await makeCheckpoint(conn.db, key, new Date('2025-06-01T00:00:00Z'));
  });
  afterAll(() => conn?.close());

  it('carries the head, the time, the public key and a signature, in the documented format', async () => {
    const head = await conn.db.selectFrom('audit_head').selectAll().executeTakeFirstOrThrow();
    expect(good).toMatchObject({ format: 'kinko-audit-checkpoint/1', seq: 42, mac: head.mac, at: '2025-06-01T00:00:00.000Z', publicKey: key.publicKeyPem });
    expect(readCheckpoint(checkpointText(good), key)).toEqual({ ok: true, checkpoint: good });
  });

  it('of an empty trail, holds seq 0 and the genesis value', async () => {
    const empty = await openDatabase({ kind: 'sqlite', file: path.join(tempDir(), 'empty.sqlite') });
    try {
      await migrateToLatest(empty.db);
      expect(await makeCheckpoint(empty.db, key, new Date())).toMatchObject({ seq: 0, mac: GENESIS });
    } finally {
      await empty.close();
    }
  });

  it.each([
    ['the seq is changed', (c: Checkpoint) => ({ ...c, seq: 41 })],
    ['the head MAC is changed', (c: Checkpoint) => ({ ...c, mac: 'other' })],
    ['the time is changed', (c: Checkpoint) => ({ ...c, at: '2025-06-02T00:00:00.000Z' })],
    ['the signature is changed', (c: Checkpoint) => ({ ...c, signature: c.signature.replace(/^./, (x) => (x === 'A' ? 'B' : 'A')) })],
  ])('when %s, the signature no longer matches', (_what, edit) => {
    expect(readCheckpoint(JSON.stringify(edit(good)), key)).toEqual({ ok: false, problem: 'bad-signature' });
  });

  it("when re-signed with another key, it is refused as not this server's", async () => {
    const other = loadOrCreateServerKey(tempDir());
    const forged = await makeCheckpoint(conn.db, other, new Date());
    expect(readCheckpoint(JSON.stringify(forged))).toMatchObject({ ok: true });
    expect(readCheckpoint(JSON.stringify(forged), key)).toEqual({ ok: false, problem: 'other-key' });
  });

  it.each(['', 'not json', '[]', 'null', '{"format":"other"}', JSON.stringify({ format: 'kinko-audit-checkpoint/1', seq: -1, mac: 'x', at: 'x', publicKey: 'x', signature: 'x' })])(
    'a malformed file (%j) is refused as such',
    (text) => {
      expect(readCheckpoint(text, key)).toEqual({ ok: false, problem: 'malformed' });
    },
  );
});
