import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { makeTestApp, type TestApp } from '../helpers/app.js';

describe('app shell', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await makeTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('when a first-time visitor opens /, the start page says in Japanese what kinko is and where to go', async () => {
    const res = await request(t.app).get('/');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.text).toContain('<html lang="ja">');
    expect(res.text).toContain('マイナンバー');
    expect(res.text).toContain('href="/office/login"');
    expect(res.text).toContain('href="?lang=en"');
  });

  it('when the visitor chooses English, the page and the next visits are English', async () => {
    const agent = request.agent(t.app);
    const first = await agent.get('/?lang=en');
    expect(first.text).toContain('<html lang="en">');
    expect(first.text).toContain('Welcome to kinko');
    const again = await agent.get('/');
    expect(again.text).toContain('<html lang="en">');
  });

  it('when a page has a query (a preview page number, a filter), then the language switch keeps it and changes only the language', async () => {
    const res = await request(t.app).get('/?page=7&status=add&sig=abc&exp=1&lang=ja');
    // Only the paging keys: a signature or anything else in the address is not copied into the page.
    expect(res.text).toContain('href="?page=7&amp;status=add&amp;lang=en"');
  });

  it('a browser asking for English gets English; anything else gets Japanese', async () => {
    expect((await request(t.app).get('/').set('Accept-Language', 'en-US,en;q=0.9')).text).toContain('lang="en"');
    expect((await request(t.app).get('/').set('Accept-Language', 'fr-FR')).text).toContain('lang="ja"');
  });

  it('/healthz answers ok after checking the database and both storage locations', async () => {
    const res = await request(t.app).get('/healthz');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok', checks: { database: 'ok', drops: 'ok', vault: 'ok' } });
  });

  it('an unknown address gets a plain 404 page in Japanese, with no stack', async () => {
    const res = await request(t.app).get('/no/such/page');
    expect(res.status).toBe(404);
    expect(res.text).toContain('お探しのページは見つかりませんでした');
    expect(res.text).not.toMatch(/at .*\.ts:\d+/);
  });

  it('every response carries the security headers and no X-Powered-By', async () => {
    for (const url of ['/', '/healthz', '/nope', '/static/css/kinko.css']) {
      const res = await request(t.app).get(url);
      const csp = res.headers['content-security-policy'];
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toContain('unsafe-inline');
      expect(csp).toContain("frame-ancestors 'none'");
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      expect(res.headers['x-powered-by']).toBeUndefined();
    }
  });

  it('pages carry no inline script', async () => {
    const res = await request(t.app).get('/');
    expect(res.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
  });
});
