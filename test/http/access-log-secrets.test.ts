import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { randomId } from '../../server/lib/random.js';
import { makeCompany, makeUser, signedInAgent } from '../helpers/actors.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';

/**
 * Issue 12 item 8: Express matches routes case-insensitively and decodes
 * params, so `/ROOM/<key>` is the room and is served — and the log masking
 * that knew only a lower-case `/room/` wrote the key in clear. Whatever the
 * spelling, no access key or setup token may appear in any log line.
 */
describe('the access key never reaches the log, however the path is spelled', () => {
  let t: TestApp;
  let company: { id: string; accessKey: string };
  beforeAll(async () => {
    t = await makeTestApp();
    company = await makeCompany(t.deps, '大文字株式会社');
  });
  afterAll(async () => {
    await t.close();
  });

  const spellings = (key: string) => {
    const encoded = [...key].map((c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`).join('');
    return [
      `/room/${key}`, `/ROOM/${key}`, `/Room/${key}`, `/rOoM/${key}/`, `/ROOM/${key}/DROPS`, `/Room/${key}/Drops/AAAAAAAAAAAAAAAAAAAAAA`,
      `/ROOM/${key}/SESSIONS`, `/room/${key}/nothing-here`, `/room//${key}`, `/ROOM/${encoded}`, `/%52OOM/${key}`, `/x/${key}`,
    ];
  };

  it('every case and encoding variant of a room URL is logged with the key masked (signed out and signed in)', async () => {
    const served = await request(t.app).get(`/ROOM/${company.accessKey}`);
    // The variant really reaches the room: this is the case that leaked.
    expect(served.status).toBe(200);

    const client = await makeUser(t.deps, { role: 'client', companyId: company.id });
    const { agent } = await signedInAgent(t.app, t.deps, client);
    for (const p of spellings(company.accessKey)) {
      await request(t.app).get(p);
      await agent.get(p);
      await request(t.app).post(`${p}/login`).type('form').send({ loginId: 'x', password: 'y', totp: '123456' });
    }
    const token = randomId(32);
    for (const p of [`/setup/${token}`, `/SETUP/${token}`, `/Setup/${token}/`]) await request(t.app).get(p);

    const lines = t.logs.lines.filter((l) => l.includes('"msg":"request"'));
    expect(lines.length).toBeGreaterThanOrEqual(spellings('').length * 3);
    for (const line of t.logs.lines) {
      expect(line).not.toContain(company.accessKey);
      expect(line).not.toContain(token);
    }
    // Masked by the route that matched: the path stays readable otherwise.
    expect(t.logs.text).toContain('"path":"/ROOM/[key]/DROPS"');
    expect(t.logs.text).toContain('"path":"/Room/[key]/Drops/AAAAAAAAAAAAAAAAAAAAAA"');
    expect(t.logs.text).toContain('"path":"/SETUP/[token]"');
  });
});
