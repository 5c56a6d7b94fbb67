import type request from 'supertest';
import type { Deps } from '../../server/deps.js';
import { generateOfficeKey } from '../../server/keys/office-key.js';
import * as keyRepo from '../../server/keys/repo.js';
import { csrfToken } from '../helpers/actors.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import type { TestDatabase } from '../helpers/databases.js';

type Agent = ReturnType<typeof request.agent>;

/** POSTs a form the way the browser does: with the page's CSRF token in `_csrf`. */
export async function postForm(agent: Agent, path: string, fields: Record<string, string | string[]> = {}) {
  const token = await csrfToken(agent, '/');
  return agent.post(path).type('form').send({ ...fields, _csrf: token });
}

export interface SheetSeen {
  url: string;
  loginId: string;
  password: string | null;
}

/** What a person reads off a printed credential sheet. */
export function readSheet(html: string): SheetSeen {
  const pick = (cls: string) => new RegExp(`<code class="${cls}(?: [^"]*)?">([^<]*)</code>`).exec(html)?.[1] ?? null;
  const url = pick('sheet-url');
  const loginId = pick('sheet-login-id');
  if (!url || !loginId) throw new Error('no credential sheet in the page');
  return { url: unescapeHtml(url), loginId: unescapeHtml(loginId), password: pick('sheet-password') };
}

function unescapeHtml(s: string): string {
  return s.replace(/&#34;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** The path part of a room URL from the sheet (tests talk to the app, not to publicUrl). */
export function pathOf(url: string): string {
  const u = new URL(url);
  return u.pathname;
}

/** The one-time key passphrase shown after designating a key holder. */
export function readOneTimePassphrase(html: string): string | null {
  return /<code class="sheet-password(?: [^"]*)?">([^<]+)<\/code>/.exec(html)?.[1] ?? null;
}

/** Audit actions recorded so far, oldest first. */
export async function auditActions(deps: Deps): Promise<Array<{ action: string; actor_id: string | null; company_id: string | null; target_ids: string; details: string }>> {
  return deps.db.selectFrom('audit_log').select(['action', 'actor_id', 'company_id', 'target_ids', 'details']).orderBy('seq', 'asc').execute();
}

/** An office key with the director as its first holder (what setup leaves behind). */
export async function giveOfficeKey(deps: Deps, directorId: string, passphrase: string): Promise<void> {
  const key = await generateOfficeKey('テスト社労士事務所', passphrase);
  const now = deps.clock.now();
  await deps.db.insertInto('office_keys').values({ fingerprint: key.fingerprint, public_key: key.publicKeyArmored, created_at: now.toISOString() }).execute();
  await keyRepo.insertKeyCopy(deps.db, {
    userId: directorId, fingerprint: key.fingerprint, lockedPrivateKey: key.lockedPrivateKeyArmored, mustChange: false, createdBy: null, now,
  });
  await keyRepo.setKeyHolderFlag(deps.db, directorId, true, now);
}

/** The real app on one of testDatabases() (SQLite always; PostgreSQL when the global setup started one). */
export async function makeTestAppOn(target: TestDatabase): Promise<TestApp> {
  const opened = await target.open();
  const env = opened.config.kind === 'postgres' ? { KINKO_DATABASE_URL: opened.config.url } : { KINKO_DATABASE_URL: `sqlite:${opened.config.file}` };
  const t = await makeTestApp(env);
  return {
    ...t,
    close: async () => {
      await t.close();
      await opened.cleanup();
    },
  };
}
