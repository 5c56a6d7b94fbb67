import { afterEach, describe, expect, it } from '@jest/globals';
import * as openpgp from 'openpgp';
import request from 'supertest';
import { matchTotp } from '../../server/auth/totp.js';
import { verifyPassword } from '../../server/lib/passwords.js';
import { limits } from '../../server/config.js';
import { sha256 } from '../../server/lib/random.js';
import { announceSetup, issueSetupToken } from '../../server/setup/service.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { DIRECTOR, normalised404, readSetupPage, setupForm } from './setup-helpers.js';

/** A clock the test can move (token expiry). */
function movableClock(start = new Date()) {
  let now = start.getTime();
  return { now: () => new Date(now), advance: (ms: number) => void (now += ms) };
}

async function counts(t: TestApp) {
  const n = async (table: 'office' | 'users' | 'office_keys' | 'key_copies') =>
    Number((await t.deps.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
  return { office: await n('office'), users: await n('users'), keys: await n('office_keys'), copies: await n('key_copies') };
}

describe('first-run setup through the web page', () => {
  let t: TestApp;
  afterEach(async () => {
    await t?.close();
  });

  it('when kinko starts with no director, it prints one setup link on the console and never logs the token', async () => {
    t = await makeTestApp({ KINKO_PUBLIC_URL: 'https://kinko.example.jp' });
    const printed: string[] = [];
    await announceSetup(t.deps, (l) => printed.push(l));
    expect(printed).toHaveLength(1);
    const m = /https:\/\/kinko\.example\.jp\/setup\/([A-Za-z0-9_-]+)/.exec(printed[0]!);
    expect(m).not.toBeNull();
    const token = m![1]!;
    expect(Buffer.from(token, 'base64url').length).toBeGreaterThanOrEqual(16); // ≥128 bits
    expect(printed[0]).toContain('初回設定');
    expect(printed[0]).toContain('first-run setup');
    expect(t.logs.text).not.toContain(token);
    // Only the hash is stored, valid for the configured time.
    const rows = await t.deps.db.selectFrom('setup_tokens').selectAll().execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.token_hash).toBe(sha256(token));
    expect(JSON.stringify(rows)).not.toContain(token);
    expect(Date.parse(rows[0]!.expires_at) - Date.now()).toBeGreaterThan(limits.setupTokenTtlMs - 60_000);
    expect(Date.parse(rows[0]!.expires_at) - Date.now()).toBeLessThanOrEqual(limits.setupTokenTtlMs);
  });

  it('when the director completes the page, there is exactly one director, the office and its key — and nothing else', async () => {
    t = await makeTestApp();
    const printed: string[] = [];
    await announceSetup(t.deps, (l) => printed.push(l));
    const token = /\/setup\/([A-Za-z0-9_-]+)/.exec(printed[0]!)![1]!;
    const agent = request.agent(t.app);

    const get = await agent.get(`/setup/${token}`);
    expect(get.status).toBe(200);
    expect(get.headers['cache-control']).toContain('no-store');
    expect(get.headers['content-security-policy']).toMatch(/img-src 'self' data:/);
    expect(get.text).toContain('<html lang="ja">');
    expect(get.text).toMatch(/<img src="data:image\/png;base64,[A-Za-z0-9+/=]+"/);
    expect(get.text).toContain('だれにも');
    const page = readSetupPage(get.text);
    expect(page.secret).toMatch(/^[A-Z2-7]{32}$/);

    const now = new Date();
    const post = await agent.post(`/setup/${token}`).type('form').send(await setupForm(page, now));
    expect(post.status).toBe(200);
    expect(post.text).toContain('初期設定が完了しました');
    expect(post.text).toContain('href="/office/login"');

    const users = await t.deps.db.selectFrom('users').selectAll().execute();
    expect(users).toHaveLength(1);
    const d = users[0]!;
    expect(d).toMatchObject({ role: 'director', login_id: DIRECTOR.loginId, display_name: DIRECTOR.directorName, status: 'active', totp_enrolled: 1, key_holder: 1, password_is_initial: 0 });
    expect(d.password_hash).toMatch(/^\$argon2id\$/);
    expect(await verifyPassword(d.password_hash, DIRECTOR.password)).toBe(true);
    expect(d.totp_secret_sealed).not.toContain(page.secret);
    // The confirming code's step is recorded, so the same code cannot be replayed at login.
    expect(Number(d.totp_last_step)).toBe(await matchTotp(page.secret, (await setupForm(page, now)).totpCode!, now));
    expect(await counts(t)).toEqual({ office: 1, users: 1, keys: 1, copies: 1 });
    expect((await t.deps.db.selectFrom('office').select('name').executeTakeFirstOrThrow()).name).toBe(DIRECTOR.officeName);
    const copy = await t.deps.db.selectFrom('key_copies').selectAll().executeTakeFirstOrThrow();
    expect(copy).toMatchObject({ user_id: d.id, must_change: 0 });
    expect((await openpgp.readPrivateKey({ armoredKey: copy.locked_private_key })).isDecrypted()).toBe(false);
    const tokenRow = await t.deps.db.selectFrom('setup_tokens').selectAll().executeTakeFirstOrThrow();
    expect(tokenRow.used_at).not.toBeNull();
    const actions = (await t.deps.db.selectFrom('audit_log').select('action').orderBy('seq').execute()).map((r) => r.action);
    expect(actions).toEqual(['setup.complete', 'key.holder.add']);

    // Nothing secret reached the log.
    for (const s of [token, DIRECTOR.password, DIRECTOR.keyPassphrase, page.secret]) expect(t.logs.text).not.toContain(s);

    // The link is spent, and a new start issues none now that a director exists.
    expect((await agent.get(`/setup/${token}`)).status).toBe(404);
    const again: string[] = [];
    await announceSetup(t.deps, (l) => again.push(l));
    expect(again).toEqual([]);
    expect(await issueSetupToken(t.deps)).toBeNull();
  });

  it('an unknown, expired or reused token answers exactly like a random URL (404)', async () => {
    const clock = movableClock();
    t = await makeTestApp({}, { clock });
    const random = normalised404(await request(t.app).get('/no/such/page'));
    const expectSame404 = async (path: string, method: 'get' | 'post' = 'get') => {
      const res = await request(t.app)[method](path);
      expect(res.status).toBe(404);
      expect(normalised404(res)).toBe(random);
    };
    await expectSame404(`/setup/${'A'.repeat(43)}`);
    await expectSame404('/setup/short');

    const expired = (await issueSetupToken(t.deps))!;
    clock.advance(limits.setupTokenTtlMs + 1);
    await expectSame404(`/setup/${expired}`);
    // A new start replaces the unused expired token and the new one works.
    const fresh = (await issueSetupToken(t.deps))!;
    expect(await t.deps.db.selectFrom('setup_tokens').select('token_hash').execute()).toEqual([{ token_hash: sha256(fresh) }]);

    const agent = request.agent(t.app);
    const page = readSetupPage((await agent.get(`/setup/${fresh}`)).text);
    expect((await agent.post(`/setup/${fresh}`).type('form').send(await setupForm(page, clock.now()))).status).toBe(200);
    await expectSame404(`/setup/${fresh}`);
    // Reusing it with a full, valid form still gets nothing.
    const reuse = await agent.post(`/setup/${fresh}`).type('form').send(await setupForm(page, clock.now(), { loginId: 'intruder' }));
    expect(reuse.status).toBe(404);
    expect(normalised404(reuse)).toBe(random);
    expect((await counts(t)).users).toBe(1);
  });

  describe('when something is wrong, the page says what in plain Japanese, keeps the typed names, and creates nothing', () => {
    const cases: Array<[string, (p: string) => Record<string, string>, string]> = [
      ['the passwords differ', () => ({ passwordConfirm: 'sakura-no-hana-ga-chiru' }), '確認のために入力したパスワードが一致しません'],
      ['the password is short', () => ({ password: 'a'.repeat(limits.password.minLength - 1), passwordConfirm: 'a'.repeat(limits.password.minLength - 1) }), `パスワードは${limits.password.minLength}文字以上にしてください`],
      ['the key passphrase is the password', () => ({ keyPassphrase: DIRECTOR.password, keyPassphraseConfirm: DIRECTOR.password }), 'ログインのパスワードとは別のもの'],
      ['the key passphrases differ', () => ({ keyPassphraseConfirm: 'something-else-entirely' }), '確認のために入力したパスフレーズが一致しません'],
      ['the TOTP code is wrong', (code) => ({ totpCode: String((Number(code) + 1) % 1_000_000).padStart(6, '0') }), '確認コードが正しくありません'],
      ['the login ID has spaces', () => ({ loginId: 'ya ma da' }), 'ログインIDは'],
      ['the office name is empty', () => ({ officeName: '   ' }), '事務所名を入力してください'],
    ];
    it.each(cases)('%s', async (_what, override, message) => {
      t = await makeTestApp();
      const token = (await issueSetupToken(t.deps))!;
      const agent = request.agent(t.app);
      const page = readSetupPage((await agent.get(`/setup/${token}`)).text);
      const now = new Date();
      const good = await setupForm(page, now);
      const form = { ...good, ...override(good.totpCode!) };
      const res = await agent.post(`/setup/${token}`).type('form').send(form);
      expect(res.status).toBe(400);
      expect(res.text).toContain(message);
      expect(res.text).toContain('aria-invalid="true"');
      // Non-secret values survive the round trip; secrets are never echoed back into the page.
      if (form.officeName!.trim()) expect(res.text).toContain(`value="${DIRECTOR.officeName}"`);
      expect(res.text).toContain(`value="${DIRECTOR.directorName}"`);
      expect(res.text).not.toContain(DIRECTOR.password);
      expect(res.text).not.toContain(DIRECTOR.keyPassphrase);
      // The same TOTP secret is kept, so the person does not have to scan again.
      expect(readSetupPage(res.text).secret).toBe(page.secret);
      expect(await counts(t)).toEqual({ office: 0, users: 0, keys: 0, copies: 0 });
      // The token is still usable: fixing the field completes the setup.
      const fixed = readSetupPage(res.text);
      const ok = await agent.post(`/setup/${token}`).type('form').send(await setupForm(fixed, new Date()));
      expect(ok.status).toBe(200);
      expect(await counts(t)).toEqual({ office: 1, users: 1, keys: 1, copies: 1 });
    });
  });

  it('a TOTP secret field edited in the browser (or from another link) is refused and a new QR code is shown', async () => {
    t = await makeTestApp();
    const tokenA = (await issueSetupToken(t.deps))!;
    const tokenB = (await issueSetupToken(t.deps))!;
    const agent = request.agent(t.app);
    const pageA = readSetupPage((await agent.get(`/setup/${tokenA}`)).text);
    const pageB = readSetupPage((await agent.get(`/setup/${tokenB}`)).text);
    // The sealed secret of link B does not open on link A.
    const res = await agent.post(`/setup/${tokenA}`).type('form').send(await setupForm(pageB, new Date(), { _csrf: pageA.csrf }));
    expect(res.status).toBe(400);
    expect(res.text).toContain('新しい QR コード');
    expect(readSetupPage(res.text).secret).not.toBe(pageB.secret);
    expect((await counts(t)).users).toBe(0);
  });

  it('a form without the CSRF token is refused', async () => {
    t = await makeTestApp();
    const token = (await issueSetupToken(t.deps))!;
    const agent = request.agent(t.app);
    const page = readSetupPage((await agent.get(`/setup/${token}`)).text);
    const { _csrf, ...form } = await setupForm(page, new Date());
    expect(_csrf).toBeTruthy();
    expect((await agent.post(`/setup/${token}`).type('form').send(form)).status).toBe(403);
    expect((await counts(t)).users).toBe(0);
  });
});
