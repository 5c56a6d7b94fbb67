import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { TFunction } from 'i18next';
import type request from 'supertest';
import { detailsItems } from '../../server/audit/present.js';
import { appendAudit, type AuditEvent } from '../../server/audit/service.js';
import type { Deps } from '../../server/deps.js';
import { createI18n } from '../../server/i18n/i18n.js';
import { csrfToken, makeUser, signedInAgent, type MadeUser } from '../helpers/actors.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';

/**
 * The audit console's "details" column in words: labels for the keys kinko
 * records, words for the codes it records (disposal method, reasons), in
 * Japanese or English; unknown keys as recorded. The CSV keeps the raw JSON.
 */
type T = (key: string, opts?: Record<string, unknown>) => string;

async function record(deps: Deps, event: AuditEvent): Promise<number> {
  return deps.db.transaction().execute((trx) => appendAudit(trx, { key: deps.secrets.audit, now: () => new Date('2025-04-01T00:00:00Z') }, event));
}

describe('audit details as words', () => {
  let ja: T;
  let en: T;
  beforeAll(async () => {
    const i18n = await createI18n();
    ja = i18n.getFixedT('ja') as TFunction as unknown as T;
    en = i18n.getFixedT('en') as TFunction as unknown as T;
  });

  it('the setup entry says in words whether a notice e-mail address was given', () => {
    const setup = JSON.stringify({ via: 'web', noticeEmail: false });
    expect(detailsItems(setup, ja).map((d) => d.label)).toContain('お知らせメールの宛先を登録');
    expect(detailsItems(setup, en).map((d) => d.label)).toContain('Notice e-mail address given');
  });

  it('labels known keys and words known codes, in Japanese and in English', () => {
    const destroy = JSON.stringify({ method: 'storage-delete-all-versions', backend: 'local', size: 123456, verified: true });
    expect(detailsItems(destroy, ja).map((d) => `${d.label}: ${d.value}`)).toEqual([
      '方法: 保管場所から削除（すべての版を含む）し、残っていないことを確認',
      '保管場所: サーバー内のフォルダ',
      '大きさ（バイト）: 123,456',
      '残っていないことを確認: はい',
    ]);
    expect(detailsItems(destroy, en).map((d) => d.label)).toEqual(['Method', 'Storage', 'Size (bytes)', 'Checked that nothing is left']);

    const commit = JSON.stringify({ personsAdded: 12, duplicates: 3, review: 1, excluded: 0, jobId: 'abc' });
    expect(detailsItems(commit, ja).map((d) => `${d.label}: ${d.value}`)).toEqual([
      '金庫に追加した人数: 12',
      '保管済みのため追加しなかった人数: 3',
      '保留した行数: 1',
      '除外した人数: 0',
      '取り込みの番号: abc',
    ]);
    expect(detailsItems(JSON.stringify({ reason: 'bad_password', scope: 'room' }), ja).map((d) => d.value)).toEqual(['パスワードの誤り', '顧問先のルーム']);
    expect(detailsItems(JSON.stringify({ reason: 'mac-mismatch', badSeq: 12345 }), ja).map((d) => d.value)).toEqual(['記録の内容が書き換えられています', '12345']);
    expect(detailsItems(JSON.stringify({ purposeKey: 'health-pension', role: 'staff' }), ja).map((d) => d.value)).toEqual(['健康保険・厚生年金保険', '職員']);
  });

  it('shows unknown keys and codes as recorded, and nothing for null', () => {
    expect(detailsItems(JSON.stringify({ someNewKey: 'x.y:z', reason: 'brand-new', gone: null }), ja)).toEqual([
      { key: 'someNewKey', label: 'someNewKey', value: 'x.y:z' },
      { key: 'reason', label: '理由', value: 'brand-new' },
    ]);
    expect(detailsItems('{}', ja)).toEqual([]);
    expect(detailsItems('not json', ja)).toEqual([]);
  });

  describe('in the console', () => {
    let t: TestApp;
    let director: MadeUser;
    let boss: ReturnType<typeof request.agent>;
    beforeAll(async () => {
      t = await makeTestApp();
      director = await makeUser(t.deps, { role: 'director', name: '所長 佐藤' });
      boss = (await signedInAgent(t.app, t.deps, director)).agent;
      await record(t.deps, { action: 'drop.destroy', actorId: director.id, actorRole: 'director', details: { method: 'storage-delete-all-versions', backend: 's3', size: 2048, verified: true } });
      await record(t.deps, { action: 'ingest.commit', actorId: director.id, actorRole: 'director', details: { personsAdded: 12, duplicates: 0, review: 2, excluded: 1, jobId: 'j1' } });
    });
    afterAll(async () => {
      await t?.close();
    });

    it('reads in Japanese, and in English with ?lang=en; the raw keys are not shown', async () => {
      const page = await boss.get('/office/audit?lang=ja');
      expect(page.status).toBe(200);
      expect(page.text).toContain('金庫に追加した人数:</span> 12');
      expect(page.text).toContain('S3 互換ストレージ');
      expect(page.text).not.toContain('personsAdded');
      expect(page.text).not.toContain('storage-delete-all-versions');
      const english = await boss.get('/office/audit?lang=en');
      expect(english.text).toContain('People added to the vault:</span> 12');
      expect(english.text).toContain('S3-compatible storage');
      await boss.get('/office/audit?lang=ja');
    });

    it('the CSV export keeps the details as recorded (JSON with the machine keys)', async () => {
      const token = await csrfToken(boss, '/office/audit');
      const res = await boss.post('/office/audit.csv').type('form').send({ _csrf: token, purpose: '点検' }).buffer(true);
      expect(res.status).toBe(200);
      const text = res.text;
      expect(text).toContain('""personsAdded"":12');
      expect(text).toContain('""method"":""storage-delete-all-versions""');
    });
  });
});
