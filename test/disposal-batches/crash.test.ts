import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FAILPOINTS } from '../../server/failpoints.js';
import { reportDeparture, setCompanyServices } from '../../server/retention/service.js';
import { revealNumber } from '../../server/vault/index.js';
import { arrangeOffice, type Office } from '../helpers/ingest-office.js';
import { copyOf, everyCaseOnce, expectKilled, openDeps, post, startKinko, stepUpSession, stopKinko } from '../helpers/crash-kinko.js';
import { keptImagesFor } from '../helpers/collected.js';
import { syntheticMyNumbers } from '../helpers/mynumber.js';
import { putInVault } from '../helpers/vault-office.js';
import { DIRECTOR } from '../setup/setup-helpers.js';

/**
 * The kill-at-every-failpoint test of the ingest (test/ingest-flow/crash.test.ts),
 * extended to disposal (security.md DISPOSAL, P9): a real `kinko serve` with
 * KINKO_FAILPOINTS=disposal.<step>, the director approves a batch of three
 * over HTTP until the failpoint kills the process (SIGKILL), then kinko is
 * restarted without it. After start-up recovery the batch must be complete
 * — key destroyed, every record gone by listing, persons 廃棄済, exactly one
 * disposal record and one audit entry, and the leaver's kept identity images
 * destroyed with one record of their own — and the batch page's "carry on"
 * issues any certificate the crash left unissued. The company's other person
 * keeps their record. KINKO_CRASH_ROUNDS repeats the set (20 = "20/20").
 */
const ROUNDS = Math.max(1, Number(process.env.KINKO_CRASH_ROUNDS ?? 1) || 1);
const CASES = FAILPOINTS.filter((f) => f.startsWith('disposal.'));
const numbers = syntheticMyNumbers(4, 7070);

interface Arranged {
  office: Office;
  leavers: string[];
  leaverTokens: string[];
  stayerToken: string;
  /** A leaver's kept identity images (a card showing the number) and the stayer's. */
  leaverImages: { id: string; storedKey: string };
  stayerImages: { id: string; storedKey: string };
}

/** After recovery: the batch is complete, nothing is left that could decrypt the three, the stayer's record is untouched. */
async function checkComplete(dataDir: string, a: Arranged): Promise<{ batchId: string; certificates: number }> {
  const deps = await openDeps(dataDir);
  try {
    const batches = await deps.db.selectFrom('disposal_batches').selectAll().execute();
    expect(batches).toHaveLength(1);
    const b = batches[0]!;
    expect(b).toMatchObject({ state: 'done', method: 'crypto-erase' });
    const keys = await deps.db.selectFrom('data_keys').selectAll().where('id', 'in', b.key_ids.split(' ')).execute();
    expect(keys.every((k) => k.wrapped_key === null && k.destroyed_at !== null)).toBe(true);
    const vault: string[] = [];
    for await (const o of deps.storage.vault.list()) vault.push(o.key);
    expect(vault).toEqual([a.stayerToken]);
    for (const tk of a.leaverTokens) expect(await deps.storage.vault.remnants(tk)).toEqual([]);
    const persons = await deps.db.selectFrom('persons').select(['id', 'state', 'number_index']).where('id', 'in', a.leavers).execute();
    expect(persons.every((p) => p.state === 'disposed' && p.number_index === '')).toBe(true);
    expect(await deps.db.selectFrom('disposals').select('id').where('subject_kind', '=', 'cohort').execute()).toHaveLength(1);
    expect(await deps.db.selectFrom('audit_log').select('seq').where('action', '=', 'retention.disposal').execute()).toHaveLength(1);
    // The leaver's kept images went with the number, recorded once; the stayer's are kept.
    const images = await deps.db.selectFrom('collect_kept_images').select(['id', 'state']).orderBy('id').execute();
    expect(Object.fromEntries(images.map((i) => [i.id, i.state]))).toEqual({ [a.leaverImages.id]: 'disposed', [a.stayerImages.id]: 'kept' });
    const drops: string[] = [];
    for await (const o of deps.storage.drops.list()) drops.push(o.key);
    expect(drops).toEqual([a.stayerImages.storedKey]);
    const imageRecords = await deps.db.selectFrom('disposals').select('reason').where('subject_id', '=', a.leaverImages.id).execute();
    expect(imageRecords).toEqual([{ reason: 'collect-images-person-disposed' }]);
    const certificates = (await deps.db.selectFrom('disposal_certificates').select('id').execute()).length;
    return { batchId: b.id, certificates };
  } finally {
    await deps.close();
  }
}

async function crashCase(template: string, a: Arranged, failpoint: string): Promise<{ logs: string; dataDir: string }> {
  const dataDir = copyOf(template, 'kinko-dcrash-');
  let logs = '';
  const approveForm = { person: a.leavers, reason: 'retention-ended', reasonText: '', passphrase: DIRECTOR.keyPassphrase };
  const first = await startKinko(dataDir, failpoint);
  try {
    const base = `http://127.0.0.1:${first.port}`;
    const sid = await stepUpSession(dataDir, a.office.director.id);
    const companyPage = `/office/companies/${a.office.company.id}/disposal`;
    await expectKilled(first, failpoint, () => post(base, sid, companyPage, `/office/companies/${a.office.company.id}/disposal-batches`, approveForm));
    expect(first.out()).toContain(`failpoint ${failpoint}`);
  } finally {
    await stopKinko(first);
    logs += first.out();
  }
  const second = await startKinko(dataDir);
  try {
    const { batchId, certificates } = await checkComplete(dataDir, a);
    if (certificates < 2) {
      const sid = await stepUpSession(dataDir, a.office.director.id);
      const r = await post(`http://127.0.0.1:${second.port}`, sid, `/office/disposal-batches/${batchId}`, `/office/disposal-batches/${batchId}/finish`, { passphrase: DIRECTOR.keyPassphrase });
      expect(r.status).toBe(303);
    }
    expect((await checkComplete(dataDir, a)).certificates).toBe(2);
  } finally {
    await stopKinko(second);
    logs += second.out();
  }
  return { logs, dataDir };
}

describe(`disposal crash safety: kill -9 at every disposal failpoint, restart, the batch completes (${ROUNDS} round${ROUNDS > 1 ? 's' : ''})`, () => {
  let template: string;
  let a: Arranged;

  beforeAll(async () => {
    template = fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-dcrash-template-'));
    const deps = await openDeps(template, true);
    try {
      const office = await arrangeOffice(deps);
      // one key holder: the director's approval runs the batch at once
      await deps.db.deleteFrom('key_copies').where('user_id', '!=', office.director.id).execute();
      const companyId = office.company.id;
      const by = { userId: office.director.id, role: 'director' as const, requestId: null };
      await setCompanyServices(deps, by, { companyId, serviceIds: ['shakai-hoken'] });
      const gone = await putInVault(deps, { companyId, cohort: '2019', unlockAs: office.director.id, passphrase: DIRECTOR.keyPassphrase, employees: [0, 1, 2].map((i) => ({ name: `退職 ${i}郎`, number: numbers[i]!, employeeCode: `L${i}` })) });
      const [stayer] = await putInVault(deps, { companyId, cohort: '2025', unlockAs: office.director.id, passphrase: DIRECTOR.keyPassphrase, employees: [{ name: '在職 太郎', number: numbers[3]!, employeeCode: 'S1' }] });
      for (const p of gone) await reportDeparture(deps, by, { companyId, personId: p.id, on: '2015-03-31', via: 'office' });
      const leaverImages = await keptImagesFor(deps, companyId, office.director.id, gone[0]!.id, { days: 90 });
      const stayerImages = await keptImagesFor(deps, companyId, office.director.id, stayer!.id, { days: 90 });
      a = { office, leavers: gone.map((p) => p.id), leaverTokens: gone.map((p) => p.token), stayerToken: stayer!.token, leaverImages, stayerImages };
    } finally {
      await deps.close();
    }
  }, 60_000);
  afterAll(() => fs.rmSync(template, { recursive: true, force: true }));

  for (let round = 1; round <= ROUNDS; round++) {
    it(
      `round ${round}: every disposal failpoint (${CASES.length}) — kill, restart, the batch completes and is certified`,
      async () => {
        await everyCaseOnce(CASES, (c: (typeof CASES)[number]) => crashCase(template, a, c), [...numbers]);
      },
      300_000,
    );
  }
});

/**
 * The same, for moving leavers into the key of their disposal month
 * (vault/reseal.ts): a key holder presses 付け替える, kinko is killed after
 * the new records are written or after the rows moved; after the restart
 * nothing is lost and nothing is left over — the vault holds exactly the
 * records the rows name (no orphan, no replaced record), every person is
 * either still in the ingest cohort or in their month's key, a second press
 * finishes the move, and every number still decrypts to what it was.
 */
const RESEAL_CASES = FAILPOINTS.filter((f) => f.startsWith('reseal.'));
const resealNumbers = syntheticMyNumbers(4, 7171);

interface ResealArranged {
  office: Office;
  leavers: string[];
  all: string[];
}

async function resealState(dataDir: string, a: ResealArranged) {
  const deps = await openDeps(dataDir);
  try {
    const rows = await deps.db.selectFrom('persons').select(['id', 'token', 'cohort', 'state']).where('id', 'in', a.all).orderBy('id').execute();
    const vault: string[] = [];
    for await (const o of deps.storage.vault.list()) vault.push(o.key);
    const retired = await deps.db.selectFrom('vault_retired_records').select('token').execute();
    const numbersNow: string[] = [];
    for (const id of a.all) {
      const r = await revealNumber(deps, { personId: id, actor: { userId: a.office.director.id, role: 'director' }, passphrase: DIRECTOR.keyPassphrase, purpose: 'health-pension' });
      numbersNow.push(r.number);
    }
    return { rows, vault: vault.sort(), retired: retired.length, numbers: numbersNow };
  } finally {
    await deps.close();
  }
}

async function resealCrashCase(template: string, a: ResealArranged, failpoint: string): Promise<{ logs: string; dataDir: string }> {
  const dataDir = copyOf(template, 'kinko-rcrash-');
  let logs = '';
  const press = async (port: number) => post(`http://127.0.0.1:${port}`, await stepUpSession(dataDir, a.office.director.id), '/office/retention', '/office/retention/reseal', { passphrase: DIRECTOR.keyPassphrase });
  const first = await startKinko(dataDir, failpoint);
  try {
    await expectKilled(first, failpoint, () => press(first.port));
  } finally {
    await stopKinko(first);
    logs += first.out();
  }
  const second = await startKinko(dataDir);
  try {
    const after = await resealState(dataDir, a);
    // nothing left over, nothing lost: the vault is exactly the rows' records, and the numbers are unchanged
    expect({ failpoint, vault: after.vault, retired: after.retired }).toEqual({ failpoint, vault: after.rows.map((r) => r.token).sort(), retired: 0 });
    expect(after.numbers).toEqual([...resealNumbers]);
    const moved = after.rows.filter((r) => a.leavers.includes(r.id) && r.cohort.startsWith('end-')).length;
    expect({ failpoint, moved }).toEqual({ failpoint, moved: failpoint === 'reseal.after-commit' ? 3 : 0 });
    // the key holder presses again: whatever was not moved moves now
    const again = await press(second.port);
    expect(again.location).toBe(`/office/retention?moved=${3 - moved}`);
    const done = await resealState(dataDir, a);
    expect(done.rows.filter((r) => a.leavers.includes(r.id)).every((r) => r.cohort.startsWith('end-'))).toBe(true);
    expect(done.rows.find((r) => !a.leavers.includes(r.id))!.cohort).toBe('2025');
    expect({ vault: done.vault, retired: done.retired }).toEqual({ vault: done.rows.map((r) => r.token).sort(), retired: 0 });
    expect(done.numbers).toEqual([...resealNumbers]);
  } finally {
    await stopKinko(second);
    logs += second.out();
  }
  return { logs, dataDir };
}

describe(`reseal crash safety: kill -9 at every reseal failpoint, restart, nothing lost or left over (${ROUNDS} round${ROUNDS > 1 ? 's' : ''})`, () => {
  let template: string;
  let a: ResealArranged;

  beforeAll(async () => {
    template = fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-rcrash-template-'));
    const deps = await openDeps(template, true);
    try {
      const office = await arrangeOffice(deps);
      const companyId = office.company.id;
      const by = { userId: office.director.id, role: 'director' as const, requestId: null };
      await setCompanyServices(deps, by, { companyId, serviceIds: ['shakai-hoken'] });
      // one ingest cohort holding three leavers (due the same month) and one who stays
      const put = await putInVault(deps, { companyId, cohort: '2025', unlockAs: office.director.id, passphrase: DIRECTOR.keyPassphrase, employees: resealNumbers.map((n, i) => ({ name: `付替 ${i}郎`, number: n, employeeCode: `R${i}` })) });
      for (const p of put.slice(0, 3)) await reportDeparture(deps, by, { companyId, personId: p.id, on: '2025-03-31', via: 'office' });
      a = { office, leavers: put.slice(0, 3).map((p) => p.id), all: put.map((p) => p.id) };
    } finally {
      await deps.close();
    }
  }, 60_000);
  afterAll(() => fs.rmSync(template, { recursive: true, force: true }));

  for (let round = 1; round <= ROUNDS; round++) {
    it(
      `round ${round}: every reseal failpoint (${RESEAL_CASES.length}) — kill, restart, press again, the move completes`,
      async () => {
        await everyCaseOnce(RESEAL_CASES, (c: (typeof RESEAL_CASES)[number]) => resealCrashCase(template, a, c), [...resealNumbers]);
      },
      300_000,
    );
  }
});
