import type { TFunction } from 'i18next';
import type { MailMessage } from '../mail/mailer.js';
import { formatJst } from '../notify/jst.js';

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

export function blockAlertEmail(to: readonly string[], facts: BlockAlertFacts, t: { ja: TFunction; en: TFunction }): MailMessage {
  const v = { name: oneLine(facts.staffName), login: oneLine(facts.loginId), limit: facts.limit, at: formatJst(facts.at.toISOString()) };
  const part = (tl: TFunction) =>
    [tl('vault.alert.greeting'), '', tl('vault.alert.what', v), tl('vault.alert.why', v), tl('vault.alert.todo'), facts.url, '', tl('vault.alert.automatic')].join('\n');
  return {
    to,
    subject: `${t.ja('vault.alert.subject', v)} / ${t.en('vault.alert.subject', v)}`,
    text: `${part(t.ja)}\n\n----\n\n${part(t.en)}\n`,
  };
}

/** Names are typed by people; keep them on one line inside the message. */
function oneLine(s: string): string {
  return s.replace(/[\r\n\t\u0000-\u001f\u007f]+/g, ' ').trim();
}
