import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import express from 'express';
import request from 'supertest';
import { errorHandler } from '../../server/http/error-handler.js';
import { policy } from '../../server/http/policies.js';
import { createI18n } from '../../server/i18n/i18n.js';
import { createLogger } from '../../server/log/logger.js';
import { LogSink, makeTestApp, type TestApp } from '../helpers/app.js';
import { routeInventory } from '../helpers/routes.js';

describe('route inventory (P7: every route has an explicit access policy)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await makeTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('finds the routes, and every one of them declares a policy', () => {
    const routes = routeInventory(t.app);
    expect(routes.length).toBeGreaterThan(1);
    const missing = routes.filter((r) => !r.policy).map((r) => `${r.method} ${r.path}`);
    expect(missing).toEqual([]);
  });

  it('the walker really detects a route without a policy', () => {
    const app = express();
    const r = express.Router();
    r.get('/ok', policy({ audience: 'public' }), (_q, s) => s.end());
    r.get('/forgotten', (_q, s) => s.end());
    app.use(r);
    const missing = routeInventory(app).filter((x) => !x.policy).map((x) => x.path);
    expect(missing).toEqual(['/forgotten']);
  });
});

describe('error handler', () => {
  it('an unexpected failure shows a generic page with a request id, never the stack or message', async () => {
    const sink = new LogSink();
    const app = express();
    app.set('views', 'views');
    app.set('view engine', 'ejs');
    app.use((_q, res, next) => {
      res.locals.requestId = 'abc123';
      res.locals.t = (k: string) => k;
      res.locals.lang = 'ja';
      res.locals.otherLang = 'en';
      next();
    });
    app.get('/boom', () => {
      throw new Error('SELECT secret FROM /srv/kinko/private');
    });
    app.use(errorHandler(createLogger({ level: 'info', destination: sink as never }), await createI18n()));
    const res = await request(app).get('/boom');
    expect(res.status).toBe(500);
    expect(res.text).toContain('abc123');
    expect(res.text).toContain('errors.internal');
    expect(res.text).not.toContain('SELECT secret');
    expect(res.text).not.toContain('.ts:');
    expect(sink.text).toContain('abc123');
  });

  it('when the error view itself cannot be rendered, a fixed fallback page is sent — never Express’s stack', async () => {
    const app = express();
    app.set('views', '/nonexistent-kinko-views');
    app.set('view engine', 'ejs');
    app.use((_q, res, next) => ((res.locals.requestId = 'f00d'), next()));
    app.get('/boom', () => {
      throw new Error('internal detail');
    });
    app.use(errorHandler(createLogger({ level: 'silent' }), await createI18n()));
    const res = await request(app).get('/boom').set('Accept-Language', 'en');
    expect(res.status).toBe(500);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.text).toContain('<html lang="en">');
    expect(res.text).toContain('Reference number: <code>f00d</code>');
    expect(res.text).not.toContain('internal detail');
    expect(res.text).not.toContain('nonexistent-kinko-views');
    expect(res.text).not.toMatch(/\n\s+at\s/);
  });

  it('API callers get the same failure as JSON', async () => {
    const app = express();
    app.use((_q, res, next) => ((res.locals.requestId = 'r1'), next()));
    app.get('/api/x', () => {
      throw new Error('internal detail');
    });
    app.use(errorHandler(createLogger({ level: 'silent' }), await createI18n()));
    const res = await request(app).get('/api/x');
    expect(res.status).toBe(500);
    expect(res.body.error).toMatchObject({ status: 500, code: 'internal', requestId: 'r1' });
    expect(JSON.stringify(res.body)).not.toContain('internal detail');
  });
});
