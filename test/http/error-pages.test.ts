import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { makeTestApp, type TestApp } from '../helpers/app.js';

/**
 * An error on every kind of route — static files, the vendor module and the
 * health probe (all mounted before the i18n middleware), the API, and pages —
 * answers with kinko's own page or JSON: status, plain message, request id.
 * Never a stack trace, an absolute path or an internal message.
 */
const CHECKOUT = path.resolve('.');

function expectNoInternals(text: string): void {
  expect(text).not.toMatch(/\n\s+at\s/);
  expect(text).not.toMatch(/Error:/);
  expect(text).not.toContain(CHECKOUT);
  expect(text).not.toContain('node_modules');
  expect(text).not.toContain('/srv/kinko');
  expect(text).not.toMatch(/\.(ts|js|ejs):\d+/);
}

function expectKinkoPage(res: request.Response, status: number, message: string): void {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^text\/html/);
  expect(res.text).toContain('<a class="brand" href="/">金庫 kinko</a>');
  expect(res.text).toContain(`<h1>エラー（${status}）</h1>`);
  expect(res.text).toContain(message);
  expect(res.text).toContain(`<code>${res.headers['x-request-id']}</code>`);
  expect(res.headers['cache-control']).toBe('no-store');
  expectNoInternals(res.text);
}

function expectKinkoJson(res: request.Response, status: number, code: string): void {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(res.body.error).toMatchObject({ status, code, requestId: res.headers['x-request-id'] });
  expect(typeof res.body.error.message).toBe('string');
  expectNoInternals(res.text);
}

describe('error pages on every kind of route', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await makeTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('static: a dot-file or a path out of the folder is refused with kinko’s page', async () => {
    expectKinkoPage(await request(t.app).get('/static/.env'), 404, 'ページは見つかりませんでした');
    expectKinkoPage(await request(t.app).get('/static/js/%2e%2e/%2e%2e/package.json'), 404, 'ページは見つかりませんでした');
  });

  it('vendor (before i18n): an unsatisfiable range is kinko’s page, in the visitor’s language', async () => {
    const res = await request(t.app).get('/static/vendor/openpgp.min.mjs').set('Range', 'bytes=999999999-');
    expectKinkoPage(res, 416, '送られた内容を読み取れませんでした');
    const en = await request(t.app).get('/static/vendor/openpgp.min.mjs').set('Range', 'bytes=999999999-').set('Accept-Language', 'en');
    expect(en.status).toBe(416);
    expect(en.text).toContain('<html lang="en">');
    expect(en.text).toContain('Reference number');
    expectNoInternals(en.text);
    const json = await request(t.app).get('/static/vendor/openpgp.min.mjs').set('Range', 'bytes=999999999-').set('Accept', 'application/json');
    expectKinkoJson(json, 416, 'badRequest');
  });

  it('healthz (before i18n): a failing part answers 503 JSON naming the part, never the reason', async () => {
    const ping = t.deps.database.ping;
    t.deps.database.ping = async () => {
      throw new Error('SQLITE_CANTOPEN /srv/kinko/private/kinko.sqlite');
    };
    try {
      const res = await request(t.app).get('/healthz');
      expect(res.status).toBe(503);
      expect(res.body).toMatchObject({ status: 'unavailable', checks: { database: 'failed' } });
      expectNoInternals(res.text);
    } finally {
      t.deps.database.ping = ping;
    }
    expectKinkoPage(await request(t.app).get('/healthz/details'), 404, 'ページは見つかりませんでした');
  });

  it('API: a broken JSON body and an unknown path are kinko’s JSON', async () => {
    const bad = await request(t.app).post('/api/v1/session').set('Content-Type', 'application/json').send('{"accessKey": ');
    expectKinkoJson(bad, 400, 'badRequest');
    expectKinkoJson(await request(t.app).get('/api/v1/nothing-here'), 404, 'notFound');
  });

  it('pages: an oversized form, an unknown page, and an internal failure are kinko’s page', async () => {
    const big = await request(t.app).post('/office/login').type('form').send(`loginId=${'a'.repeat(70_000)}`);
    expectKinkoPage(big, 413, '');
    expectKinkoPage(await request(t.app).get('/office/nothing-here?lang=ja'), 404, 'ページは見つかりませんでした');
    // The database gone mid-flight: the setup page's lookup fails inside the route.
    await t.deps.database.close();
    const res = await request(t.app).get(`/setup/${'A'.repeat(43)}`);
    expectKinkoPage(res, 500, '問題が起きました');
    expect(t.logs.text).toContain(res.headers['x-request-id']);
  });
});
