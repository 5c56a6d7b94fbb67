import { requestActing } from '../audit/acting.js';
import { record } from '../audit/record.js';
import { directorExists, findUserById } from '../auth/repo.js';
import type { Deps } from '../deps.js';
import { checkAddress, plainAddresses } from '../mail/address.js';
import * as repo from './repo.js';

/**
 * Who receives the office's notice e-mails (arrivals, director alerts), and
 * each office member's own address. Threat this answers: an office whose only
 * user never gave an address silently receives nothing — the inbox said
 * 「宛先なし」 and no mail left after 28 drops. Now the console, the server
 * log at start-up and `kinko doctor` all say so while nobody would receive one.
 */
type Db = Deps['db'];

/** How many usable addresses the notice e-mails would go to now. */
export async function noticeRecipientCount(db: Db): Promise<number> {
  return plainAddresses(await repo.noticeRecipients(db)).length;
}

export interface MyNoticeSettings {
  email: string | null;
  /** Directors and key-holder staff receive the notices; other staff do not. */
  receives: boolean;
}

export async function myNoticeSettings(db: Db, userId: string): Promise<MyNoticeSettings> {
  const me = await findUserById(db, userId);
  return { email: me?.email ?? null, receives: !!me && (me.role === 'director' || (me.role === 'staff' && me.key_holder === 1)) };
}

export type SetEmailResult = { ok: true; cleared: boolean } | { ok: false; problem: string };

/**
 * An office member sets (or clears, with an empty value) their own address.
 * Audited (`user.email.set`) without the address itself: who changed where
 * notices go is a security-relevant fact; the address is personal data.
 */
export async function setMyNoticeEmail(deps: Pick<Deps, 'db' | 'clock' | 'secrets'>, actor: { userId: string; role: string }, raw: string): Promise<SetEmailResult> {
  const trimmed = raw.trim();
  let email: string | null = null;
  if (trimmed) {
    const checked = checkAddress(trimmed);
    if ('problem' in checked) return { ok: false, problem: checked.problem };
    email = checked.address;
  }
  const now = deps.clock.now();
  await deps.db.transaction().execute(async (trx) => {
    await trx.updateTable('users').set({ email, updated_at: now.toISOString() }).where('id', '=', actor.userId).where('role', 'in', ['staff', 'director']).execute();
    const acting = requestActing({ key: deps.secrets.audit, now: () => now }, { userId: actor.userId, role: actor.role });
    await record(trx, acting, { action: 'user.email.set', targetIds: [actor.userId], details: { cleared: email === null } });
  });
  return { ok: true, cleared: email === null };
}

/**
 * At start-up, once setup is done: a warning on the server console and in
 * the log while no one would receive a notice e-mail.
 */
export async function warnIfNobodyReceivesNotices(deps: Pick<Deps, 'db' | 'logger'>, print: (line: string) => void = (l) => process.stderr.write(l + '\n')): Promise<boolean> {
  if (!(await directorExists(deps.db)) || (await noticeRecipientCount(deps.db)) > 0) return false;
  print('kinko: 警告 お知らせメールの宛先がありません（所長・鍵の担当者のだれにもメールアドレスがありません）。事務所メニューの「お知らせメールの設定」で登録してください。 / warning: no one receives notice e-mails (no director or key holder has an address); set one under Notice e-mail settings (/office/settings/notices).');
  deps.logger.warn('no director or key-holder staff member has an email address: notice e-mails reach no one');
  return true;
}
