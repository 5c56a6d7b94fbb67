import type { TFunction } from 'i18next';
import type { MailMessage } from '../mail/mailer.js';

/**
 * The arrival notice. Design §1 step 3: it says only that files arrived in
 * which room, and how many — never file names, sizes, drop ids or contents —
 * so a forwarded, mis-addressed or intercepted notice gives nothing away.
 * This function is handed nothing else, so it cannot say more.
 * Japanese first, English below.
 */
export interface NoticeFacts {
  companyName: string;
  count: number;
  inboxUrl: string;
}

export function noticeEmail(to: readonly string[], facts: NoticeFacts, t: { ja: TFunction; en: TFunction }): MailMessage {
  const v = { company: oneLine(facts.companyName), count: facts.count };
  const part = (tl: TFunction) =>
    [
      tl('notify.email.greeting'),
      '',
      tl('notify.email.arrived', v),
      tl('notify.email.open'),
      facts.inboxUrl,
      '',
      tl('notify.email.privacy'),
      tl('notify.email.automatic'),
    ].join('\n');
  return {
    to,
    subject: `${t.ja('notify.email.subject', v)} / ${t.en('notify.email.subject', v)}`,
    text: `${part(t.ja)}\n\n----\n\n${part(t.en)}\n`,
  };
}

/** A company name is typed by staff; keep it on one line inside the message. */
function oneLine(s: string): string {
  return s.replace(/[\r\n\t\u0000-\u001f\u007f]+/g, ' ').trim();
}
