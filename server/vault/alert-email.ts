import { bilingualMessage, oneLine, type Translators } from '../mail/compose.js';
import type { MailMessage } from '../mail/mailer.js';
import { jstStamp } from '../lib/jst.js';

/**
 * The directors' alert when a person's reveals were blocked. It names the
 * office member and the limit — never whose numbers were looked at, never a
 * number or token: an e-mail is a record about handling (PPC guideline) and
 * may be forwarded. This function is handed nothing else, so it cannot say more.
 */
export interface BlockAlertFacts {
  staffName: string;
  loginId: string;
  limit: number;
  at: Date;
  url: string;
}

export function blockAlertEmail(to: readonly string[], facts: BlockAlertFacts, t: Translators): MailMessage {
  const v = { name: oneLine(facts.staffName), login: oneLine(facts.loginId), limit: facts.limit, at: jstStamp(facts.at.toISOString()) };
  return bilingualMessage(to, t, 'vault.alert.subject', v, (tl) => [tl('vault.alert.greeting'), '', tl('vault.alert.what', v), tl('vault.alert.why', v), tl('vault.alert.todo'), facts.url, '', tl('vault.alert.automatic')]);
}
