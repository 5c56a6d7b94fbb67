/**
 * Disposal benchmark (issue 14): a director's approval of one batch that
 * disposes of every person of one cohort, through the real service
 * (`approveBatch`: unlock, reserve, destroy the cohort key, delete every
 * record in every version, verify by listing, a decrypt attempt that must
 * fail, persons 廃棄済, the disposal record and audit entry, the log
 * checkpoint, and the two signed certificate PDFs) — on the embedded default
 * (SQLite + the packed local vault) and on S3 (moto, versioned bucket).
 *
 *   node --import tsx bench/disposal/run.ts [persons]      (default 25,000)
 *
 * Peers, in the same run, on the same machine:
 *   local: a plain SQLite DELETE of the same number of 40-byte rows from a
 *          fresh file (WAL, synchronous FULL: the packed store's settings),
 *          one transaction — the floor of "delete the records";
 *   S3:    the bare AWS SDK deleting the same number of objects from a
 *          versioned bucket of moto: ListObjectVersions, then DeleteObjects
 *          with the version ids, 1,000 per call — the floor of "every version".
 * Setup (not timed): office key, a director as the only key holder, one
 * company, the persons sealed into one cohort through the vault's custody
 * API, their departure dates long past.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { DeleteObjectsCommand, ListObjectVersionsCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { loadConfig } from '../../server/config.js';
import { buildDeps, type Deps } from '../../server/deps.js';
import { approveBatch } from '../../server/disposal-batches/batch.js';
import { unlockOfficeKey } from '../../server/keys/office-key.js';
import { randomId } from '../../server/lib/random.js';
import { createLogger } from '../../server/log/logger.js';
import { checkDigit } from '../../server/mynumber/check-digit.js';
import { setCompanyServices } from '../../server/retention/service.js';
import { openVaultSession } from '../../server/vault/index.js';
import { makeCompany } from '../../test/helpers/actors.js';
import { startMoto } from '../../test/helpers/servers.js';
import { makeVaultOffice, PASSPHRASES } from '../../test/helpers/vault-office.js';
import { createTestBucket, type TestBucket } from '../../test/storage/s3-bucket.js';

const PERSONS = Number(process.argv[2] ?? 25_000);

const fmt = (ms: number) => `${Math.round(ms).toLocaleString('en-US')} ms`;

/** Synthetic numbers with valid check digits (design.md §5: test data only). */
function syntheticNumbers(count: number): string[] {
  const out = new Set<string>();
  let s = 0x5bd1e995;
  while (out.size < count) {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6b43a9b5) >>> 0;
    const first11 = String(s % 1e6).padStart(6, '0') + String((s >>> 7) % 1e5).padStart(5, '0');
    out.add(first11 + checkDigit(first11));
  }
  return [...out];
}

async function arrange(deps: Deps, numbers: string[]) {
  const office = await makeVaultOffice(deps);
  await deps.db.deleteFrom('key_copies').where('user_id', '!=', office.director.id).execute(); // the director alone: the batch runs at once
  const company = await makeCompany(deps, '廃棄計測株式会社');
  const by = { userId: office.director.id, role: 'director' as const, requestId: null };
  await setCompanyServices(deps, by, { companyId: company.id, serviceIds: ['shakai-hoken'] });
  const officeKey = await unlockOfficeKey(deps, office.director.id, PASSPHRASES.director);
  const session = await openVaultSession(deps, { companyId: company.id, officeKey, cohort: '2019' });
  const ids: string[] = [];
  try {
    const custody = session.takeCustody(numbers.map((number, i) => ({ key: String(i), number })));
    const persons = numbers.map((_, i) => ({ key: String(i), id: randomId(), name: `計測 ${i}`, employeeCode: `B${i}`, relation: '本人' }));
    await custody.stage(persons);
    await deps.db.transaction().execute((trx) => custody.commit(trx));
    ids.push(...persons.map((p) => p.id));
  } finally {
    session.close();
  }
  const now = deps.clock.now().toISOString();
  for (let i = 0; i < ids.length; i += 1000) {
    await deps.db.insertInto('person_retention').values(ids.slice(i, i + 1000).map((person_id) => ({ person_id, left_on: '2015-03-31', reported_by: office.director.id, reported_at: now }))).execute();
  }
  return { office, companyId: company.id, ids };
}

async function countVault(deps: Deps): Promise<number> {
  let n = 0;
  for await (const _ of deps.storage.vault.list()) n++;
  return n;
}

async function kinkoRun(label: string, env: Record<string, string>, numbers: string[]) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-bench-disposal-'));
  const deps = await buildDeps(loadConfig({ KINKO_DATA_DIR: dir, KINKO_LOG_LEVEL: 'silent', ...env }), { logger: createLogger({ level: 'silent' }), migrate: true });
  try {
    const t0 = Date.now();
    const a = await arrange(deps, numbers);
    const setupMs = Date.now() - t0;
    if ((await countVault(deps)) !== numbers.length) throw new Error('setup: the vault does not hold every record');
    const started = Date.now();
    const out = await approveBatch(deps, { userId: a.office.director.id, role: 'director', requestId: null }, { companyId: a.companyId, personIds: a.ids, reasonCode: 'retention-ended', reasonText: '', passphrase: PASSPHRASES.director });
    const totalMs = Date.now() - started;
    const b = await deps.db.selectFrom('disposal_batches').selectAll().where('id', '=', out.batchId).executeTakeFirstOrThrow();
    const certs = await deps.db.selectFrom('disposal_certificates').select(['issued_at', 'pdf_base64']).where('batch_id', '=', out.batchId).execute();
    const left = await countVault(deps);
    const held = await deps.db.selectFrom('persons').select('id').where('company_id', '=', a.companyId).where('state', '!=', 'disposed').execute();
    const t = (iso: string | null) => (iso ? Date.parse(iso) - started : NaN);
    console.log(`\n${label}: setup ${fmt(setupMs)} (not timed)`);
    console.log(`  approve → done, certified: ${fmt(totalMs)} for ${numbers.length.toLocaleString('en-US')} persons (${b.method}, ${b.key_ids.split(' ').filter(Boolean).length} key destroyed)`);
    console.log(`    key destroyed at           +${fmt(t(b.keys_destroyed_at))}`);
    console.log(`    records deleted + verified, decrypt attempt failed at +${fmt(t(b.decrypt_failed_at))}`);
    console.log(`    batch done at              +${fmt(t(b.done_at))}`);
    console.log(`    certificates (2 PDFs, ${certs.map((c) => `${Math.round(Buffer.from(c.pdf_base64, 'base64').length / 1024)} KiB`).join(' + ')}) issued by +${fmt(totalMs)}`);
    console.log(`  checks: state ${b.state}, ${left} records left in the vault, ${held.length} persons not disposed, certified ${out.certified}`);
    if (b.state !== 'done' || left !== 0 || held.length !== 0 || !out.certified) throw new Error(`${label}: disposal incomplete`);
    return { totalMs, deleteMs: t(b.decrypt_failed_at) - t(b.keys_destroyed_at) };
  } finally {
    await deps.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function sqlitePeer(n: number): number {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-bench-sqlite-'));
  try {
    const db = new Database(path.join(dir, 'peer.sqlite'));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec('create table records (key text primary key, bytes blob not null) without rowid');
    const keys = Array.from({ length: n }, () => randomId(16));
    const ins = db.prepare('insert into records (key, bytes) values (?, ?)');
    db.transaction(() => keys.forEach((k) => ins.run(k, Buffer.alloc(40, 1))))();
    const del = db.prepare('delete from records where key = ?');
    const started = Date.now();
    db.transaction(() => keys.forEach((k) => del.run(k)))();
    const ms = Date.now() - started;
    db.close();
    return ms;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function s3Peer(endpoint: string, n: number): Promise<number> {
  const b: TestBucket = await createTestBucket(endpoint, { versioning: true });
  const client = new S3Client({ region: 'us-east-1', endpoint, forcePathStyle: true, credentials: { accessKeyId: b.accessKeyId, secretAccessKey: b.secretAccessKey } });
  try {
    const keys = Array.from({ length: n }, () => randomId(16));
    for (let i = 0; i < keys.length; i += 32) {
      await Promise.all(keys.slice(i, i + 32).map((Key) => client.send(new PutObjectCommand({ Bucket: b.bucket, Key, Body: Buffer.alloc(40, 1) }))));
    }
    const started = Date.now();
    const versions: Array<{ Key: string; VersionId: string }> = [];
    let marker: { KeyMarker?: string; VersionIdMarker?: string } = {};
    for (;;) {
      const page = await client.send(new ListObjectVersionsCommand({ Bucket: b.bucket, MaxKeys: 1000, ...marker }));
      for (const v of [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])]) versions.push({ Key: v.Key!, VersionId: v.VersionId! });
      if (!page.IsTruncated) break;
      marker = { KeyMarker: page.NextKeyMarker, VersionIdMarker: page.NextVersionIdMarker };
    }
    for (let i = 0; i < versions.length; i += 1000) {
      await client.send(new DeleteObjectsCommand({ Bucket: b.bucket, Delete: { Objects: versions.slice(i, i + 1000), Quiet: true } }));
    }
    const ms = Date.now() - started;
    const left = await client.send(new ListObjectVersionsCommand({ Bucket: b.bucket }));
    if ((left.Versions?.length ?? 0) + (left.DeleteMarkers?.length ?? 0) > 0) throw new Error('S3 peer: versions left');
    return ms;
  } finally {
    client.destroy();
  }
}

async function main() {
  console.log(`kinko disposal bench — node ${process.version}, ${os.cpus().length} CPU(s) ${os.cpus()[0]?.model ?? ''}, load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  const numbers = syntheticNumbers(PERSONS);
  const local = await kinkoRun('kinko, SQLite + packed local vault', {}, numbers);
  const sqliteMs = sqlitePeer(PERSONS);
  console.log(`  peer: plain SQLite DELETE of ${PERSONS.toLocaleString('en-US')} rows (40 bytes, WAL, synchronous FULL, one transaction): ${fmt(sqliteMs)}`);
  console.log(`  ratio kinko whole disposal / peer: ${(local.totalMs / Math.max(1, sqliteMs)).toFixed(1)}`);

  const moto = await startMoto();
  const endpoint = moto.env.KINKO_TEST_MOTO_ENDPOINT;
  if (!endpoint) {
    console.log(`\nS3: skipped — ${moto.reason ?? 'moto did not start'}`);
    return;
  }
  try {
    const vault = await createTestBucket(endpoint, { versioning: true });
    const drops = await createTestBucket(endpoint, { versioning: true });
    const s3 = await kinkoRun('kinko, SQLite + S3 vault (moto, versioned)', {
      KINKO_STORAGE: 's3', KINKO_S3_ENDPOINT: endpoint, KINKO_S3_REGION: 'us-east-1', KINKO_S3_DROPS_BUCKET: drops.bucket, KINKO_S3_VAULT_BUCKET: vault.bucket,
      KINKO_S3_BUNDLES_BUCKET: 'kinko-bundles-unused', KINKO_S3_ACCESS_KEY_ID: vault.accessKeyId, KINKO_S3_SECRET_ACCESS_KEY: vault.secretAccessKey, KINKO_S3_FORCE_PATH_STYLE: 'true',
    }, numbers);
    const peerMs = await s3Peer(endpoint, PERSONS);
    console.log(`  peer: bare AWS SDK, ListObjectVersions + DeleteObjects (1,000 per call) of ${PERSONS.toLocaleString('en-US')} objects: ${fmt(peerMs)}`);
    console.log(`  ratio kinko whole disposal / peer: ${(s3.totalMs / Math.max(1, peerMs)).toFixed(1)}`);
  } finally {
    await moto.stop();
  }
}

await main();
