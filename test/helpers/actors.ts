import request from 'supertest';
import type { Express } from 'express';
import { hashPassword } from '../../server/lib/passwords.js';
import { createSession } from '../../server/auth/sessions.js';
import { newTotpSecret } from '../../server/auth/totp.js';
import { accessKeyHash, newAccessKey } from '../../server/auth/access-keys.js';
import type { Deps } from '../../server/deps.js';
import { randomId, randomReadable } from '../../server/lib/random.js';
import { Sealer } from '../../server/lib/secret-box.js';

/**
 * Arrange helpers: put users, companies and sessions straight into the
 * database, so a test about the console does not have to click through setup
 * and login first. The flows themselves are tested through HTTP elsewhere.
 */
export interface MadeUser {
  id: string;
  loginId: string;
  password: string;
  totpSecret: string;
  role: 'director' | 'staff' | 'client';
  companyId?: string;
}

export async function makeCompany(deps: Deps, name = 'テスト株式会社'): Promise<{ id: string; accessKey: string; name: string }> {
  const id = randomId();
  const accessKey = newAccessKey();
  const now = deps.clock.now().toISOString();
  await deps.db
    .insertInto('companies')
    .values({
      id, name, contact_email: 'tantou@example.co.jp', status: 'active',
      access_key_hash: accessKeyHash(accessKey),
      access_key_sealed: new Sealer(deps.secrets.signing).seal(accessKey, 'access-key'),
      created_at: now, updated_at: now,
    })
    .execute();
  return { id, accessKey, name };
}

export async function makeUser(
  deps: Deps,
  opts: { role: 'director' | 'staff' | 'client'; companyId?: string; keyHolder?: boolean; password?: string; name?: string },
): Promise<MadeUser> {
  const id = randomId();
  const loginId = `${opts.role}-${randomReadable(6).toLowerCase()}`;
  const password = opts.password ?? `pw-${randomReadable(16)}`;
  const totpSecret = newTotpSecret();
  const now = deps.clock.now().toISOString();
  await deps.db
    .insertInto('users')
    .values({
      id, role: opts.role, company_id: opts.companyId ?? null, login_id: loginId,
      display_name: opts.name ?? `${opts.role} user`, email: `${loginId}@example.jp`, status: 'active',
      password_hash: await hashPassword(password), password_is_initial: 0, initial_expires_at: null,
      totp_secret_sealed: new Sealer(deps.secrets.signing).seal(totpSecret, 'totp'), totp_enrolled: 1, totp_last_step: 0,
      key_holder: opts.keyHolder ? 1 : 0, failed_since_success: 0, locked_until: null, hard_locked: 0,
      created_at: now, updated_at: now,
    })
    .execute();
  return { id, loginId, password, totpSecret, role: opts.role, companyId: opts.companyId };
}

/** A supertest agent already signed in as `user` (session straight in the database; step-up fresh if asked). */
export async function signedInAgent(app: Express, deps: Deps, user: MadeUser, opts: { stepUp?: boolean } = {}) {
  const sid = await createSession(deps.db, user.id, 'full', deps.clock.now(), { ip: '127.0.0.1' }, opts.stepUp ?? false);
  const agent = request.agent(app);
  const tls = deps.config.publicUrl.startsWith('https:');
  agent.jar.setCookie(`${tls ? '__Host-' : ''}kinko_sid=${sid}; Path=/`);
  return { agent, sid };
}

/** The CSRF token of a page the agent can see (from the <meta name="csrf-token"> every page carries). */
export async function csrfToken(agent: ReturnType<typeof request.agent>, path = '/'): Promise<string> {
  const res = await agent.get(path);
  const m = /<meta name="csrf-token" content="([^"]+)"/.exec(res.text);
  if (!m) throw new Error(`no csrf token on ${path} (status ${res.status})`);
  return m[1]!;
}
