import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { makeCompany, makeUser } from '../helpers/actors.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { csrfOf, oathCode } from '../helpers/login.js';
import { FakeClock } from '../helpers/clock.js';

describe('behind TLS (KINKO_PUBLIC_URL is https)', () => {
  let t: TestApp;
  const clock = new FakeClock();

  beforeAll(async () => {
    t = await makeTestApp({ KINKO_PUBLIC_URL: 'https://kinko.example.jp' }, { clock });
  });
  afterAll(async () => {
    await t.close();
  });

  it('the session cookie is __Host-, Secure, HttpOnly and SameSite=Lax', async () => {
    const company = await makeCompany(t.deps);
    const u = await makeUser(t.deps, { role: 'client', companyId: company.id });
    // The test talks plain http, so it carries the Secure cookies by hand, as a browser would over https.
    const form = await request(t.app).get(`/room/${company.accessKey}`);
    const jar = (form.headers['set-cookie'] as unknown as string[]).map((c) => c.split(';')[0]).join('; ');
    expect(jar).toContain('__Host-kinko_pre=');
    clock.nextStep();
    const res = await request(t.app)
      .post(`/room/${company.accessKey}/login`)
      .set('Cookie', jar)
      .type('form')
      .send({ _csrf: csrfOf(form.text), loginId: u.loginId, password: u.password, totp: oathCode(u.totpSecret, clock.now()) });
    expect(res.status).toBe(303);
    const sid = (res.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith('__Host-kinko_sid=') && !c.startsWith('__Host-kinko_sid=;'))!;
    expect(sid).toMatch(/; Path=\//);
    expect(sid).toMatch(/; HttpOnly/);
    expect(sid).toMatch(/; Secure/);
    expect(sid).toMatch(/; SameSite=Lax/);
    expect(res.headers['strict-transport-security']).toMatch(/max-age=\d+/);
  });
});
