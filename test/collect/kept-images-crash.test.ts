import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { createApp } from '../../server/app.js';
import { requestActing } from '../../server/audit/acting.js';
import { auditContext } from '../../server/audit/service.js';
import { saveImagePolicy } from '../../server/collect/image-policy.js';
import { issueRequests } from '../../server/collect/service.js';
import { copyOf, everyCaseOnce, expectKilled, openDeps, post, startKinko, stepUpSession, stopKinko, type Running } from '../helpers/crash-kinko.js';
import { allFiles, arrangeOffice, encryptToOffice, STAFF_PASSPHRASE, type Office } from '../helpers/ingest-office.js';
import { syntheticMyNumbers } from '../helpers/mynumber.js';
import { outboxMails } from '../helpers/outbox.js';

/**
 * Kill -9 in the life of kept identity images (issue 18 §3, P9), with the
 * office's policy at 30 days:
 * - `collect-images.after-put`: a real `kinko serve` killed while a key
 *   holder confirms, after the images were stored again and before the
 *   confirmation committed. After the restart the submission is still there
 *   to confirm (and is confirmed); the half-stored set is destroyed with a
 *   record by `kinko collect:expire-images` once it is an hour old.
 * - `collect-images.after-delete`: `kinko collect:expire-images` killed after
 *   it deleted images whose period ended and before their disposal record.
 *   The restarted server's hourly run (its first run comes 10 s after start)
 *   finds them still due and records the disposal, once.
 * In every case no number and no stretch of the image is left in the clear
 * anywhere in the data folder or the logs.
 */
const BIN = path.resolve('bin/kinko.js');
const [own, spouse] = syntheticMyNumbers(2, 1888);
const picture = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), crypto.randomBytes(400)]);
const marks = [picture.subarray(100, 132), Buffer.from(picture.toString('base64').slice(100, 160))];
const CASES = ['collect-images.after-put', 'collect-images.after-delete'] as const;

interface Arranged {
  office: Office;
  submissionId: string;
}

function runCli(dataDir: string, failpoints?: string): Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('KINKO_') && k !== 'PORT') env[k] = v;
  const child = spawn(process.execPath, [BIN, 'collect:expire-images'], { env: { ...env, KINKO_DATA_DIR: dataDir, KINKO_LOG_LEVEL: 'info', ...(failpoints ? { KINKO_FAILPOINTS: failpoints } : {}) }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString('utf8')));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString('utf8')));
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal, out })));
}

async function state(dataDir: string, a: Arranged) {
  const deps = await openDeps(dataDir);
  try {
    const kept = await deps.db.selectFrom('collect_kept_images').selectAll().orderBy('created_at').execute();
    const records = await deps.db.selectFrom('disposals').select(['subject_id', 'reason']).execute();
    const sub = await deps.db.selectFrom('collect_submissions').select('state').where('id', '=', a.submissionId).executeTakeFirstOrThrow();
    const remnants = await Promise.all(kept.map((k) => deps.storage.drops.remnants(k.stored_key)));
    return { submission: sub.state, kept, reasons: records.map((r) => r.reason).sort(), remnants };
  } finally {
    await deps.close();
  }
}

async function edit(dataDir: string, change: (deps: Awaited<ReturnType<typeof openDeps>>) => Promise<unknown>) {
  const deps = await openDeps(dataDir);
  try {
    await change(deps);
  } finally {
    await deps.close();
  }
}

async function confirmOver(r: Running, dataDir: string, a: Arranged) {
  const sid = await stepUpSession(dataDir, a.office.holder.id);
  return post(`http://127.0.0.1:${r.port}`, sid, `/office/collect/${a.submissionId}`, `/office/collect/${a.submissionId}/confirm`, { passphrase: STAFF_PASSPHRASE });
}

async function waitForLine(r: Running, line: string, ms: number) {
  const until = Date.now() + ms;
  while (!r.out().includes(line)) {
    if (Date.now() > until) throw new Error(`no "${line}" within ${ms} ms:\n${r.out()}`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

async function afterPut(template: string, a: Arranged) {
  const dataDir = copyOf(template, 'kinko-kicrash-');
  let logs = '';
  const first = await startKinko(dataDir, 'collect-images.after-put');
  try {
    await expectKilled(first, 'collect-images.after-put', () => confirmOver(first, dataDir, a));
  } finally {
    await stopKinko(first);
    logs += first.out();
  }
  const left = await state(dataDir, a);
  expect({ submission: left.submission, kept: left.kept.map((k) => k.state), reasons: left.reasons }).toEqual({ submission: 'received', kept: ['storing'], reasons: [] });
  const second = await startKinko(dataDir);
  try {
    expect((await confirmOver(second, dataDir, a)).status).toBe(303);
  } finally {
    await stopKinko(second);
    logs += second.out();
  }
  // An hour on, no confirmation can still be writing it: the next run destroys it.
  await edit(dataDir, (deps) => deps.db.updateTable('collect_kept_images').set({ created_at: new Date(Date.now() - 2 * 60 * 60_000).toISOString() }).where('state', '=', 'storing').execute());
  const run = await runCli(dataDir);
  logs += run.out;
  expect(run.code).toBe(0);
  const end = await state(dataDir, a);
  expect({ submission: end.submission, kept: end.kept.map((k) => k.state), reasons: end.reasons, left: end.remnants[0] }).toEqual({ submission: 'disposed', kept: ['disposed', 'kept'], reasons: ['collect-confirmed', 'collect-images-abandoned'], left: [] });
  return { logs, dataDir };
}

async function afterDelete(template: string, a: Arranged) {
  const dataDir = copyOf(template, 'kinko-kicrash-');
  let logs = '';
  const first = await startKinko(dataDir);
  try {
    expect((await confirmOver(first, dataDir, a)).status).toBe(303);
  } finally {
    await stopKinko(first);
    logs += first.out();
  }
  // The 30 days are over.
  await edit(dataDir, (deps) => deps.db.updateTable('collect_kept_images').set({ keep_until: new Date(Date.now() - 60_000).toISOString() }).execute());
  const killed = await runCli(dataDir, 'collect-images.after-delete');
  logs += killed.out;
  expect({ signal: killed.signal, fired: killed.out.includes('failpoint collect-images.after-delete') }).toEqual({ signal: 'SIGKILL', fired: true });
  const left = await state(dataDir, a);
  // Deleted, not recorded: the row still says kept, so it is still due.
  expect({ kept: left.kept.map((k) => k.state), reasons: left.reasons, left: left.remnants[0] }).toEqual({ kept: ['kept'], reasons: ['collect-confirmed'], left: [] });
  const second = await startKinko(dataDir);
  try {
    await waitForLine(second, 'kept identity images destroyed', 30_000);
  } finally {
    await stopKinko(second);
    logs += second.out();
  }
  const end = await state(dataDir, a);
  expect({ kept: end.kept.map((k) => k.state), reasons: end.reasons }).toEqual({ kept: ['disposed'], reasons: ['collect-confirmed', 'collect-images-expired'] });
  return { logs, dataDir };
}

describe('kept identity images crash safety: kill -9 after storing them at a confirmation and after deleting them at the end of their period', () => {
  let template: string;
  let a: Arranged;

  beforeAll(async () => {
    template = fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-kicrash-template-'));
    const deps = await openDeps(template, true);
    try {
      const office = await arrangeOffice(deps);
      await saveImagePolicy(deps, requestActing(auditContext(deps), { userId: office.director.id, role: 'director' }), 30);
      await issueRequests(deps, requestActing(auditContext(deps), { userId: office.client.id, role: 'client', companyId: office.company.id }), { companyId: office.company.id, people: [{ name: '山田 太郎', employeeCode: 'E100', email: 'taro@example.jp' }] });
      const link = /\/c\/([A-Za-z0-9_-]{32})/.exec(outboxMails(template)[0]!.text)![1]!;
      const agent = request.agent(await createApp(deps));
      const page = await agent.get(`/c/${link}`).expect(200);
      const csrf = /<meta name="csrf-token" content="([^"]+)"/.exec(page.text)![1]!;
      await agent.post(`/c/${link}/acknowledge`).type('form').send({ _csrf: csrf, version: '0' }).expect(303);
      const payload = {
        v: 1,
        persons: [{ relation: 'self', name: '山田 太郎', birth: '1980-01-01', number: own }, { relation: 'spouse', name: '山田 花子', birth: '1981-02-02', number: spouse }],
        identity: { kind: 'notification', images: [{ role: 'notificationCard', type: 'image/jpeg', data: picture.toString('base64') }, { role: 'photoId', type: 'image/png', data: picture.toString('base64') }] },
      };
      const cipher = await encryptToOffice(deps.db, Buffer.from(JSON.stringify(payload)));
      const res = await agent.post(`/c/${link}/submit`).set('X-CSRF-Token', csrf).set('X-Kinko-Ref', 'ref-crash-kept-images-01').set('Content-Type', 'application/octet-stream').set('Accept', 'application/json').send(cipher);
      if (res.status !== 201) throw new Error(`submit answered ${res.status}: ${res.text.slice(0, 400)}`);
      a = { office, submissionId: res.body.receipt as string };
    } finally {
      await deps.close();
    }
  }, 60_000);
  afterAll(() => fs.rmSync(template, { recursive: true, force: true }));

  it(`every kept-image failpoint (${CASES.length}) — kill, restart, destroyed and recorded once, nothing in the clear`, async () => {
    await everyCaseOnce(
      CASES,
      async (c) => {
        const r = c === 'collect-images.after-put' ? await afterPut(template, a) : await afterDelete(template, a);
        for (const f of allFiles(r.dataDir)) expect({ f, image: marks.some((m) => fs.readFileSync(f).includes(m)) }).toEqual({ f, image: false });
        for (const m of marks) expect(r.logs.includes(m.toString('latin1'))).toBe(false);
        return r;
      },
      [own!, spouse!],
    );
  }, 300_000);
});
