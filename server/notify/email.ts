import { bilingualMessage, oneLine, type Translators } from '../mail/compose.js';
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

export function noticeEmail(to: readonly string[], facts: NoticeFacts, t: Translators): MailMessage {
  const v = { company: oneLine(facts.companyName), count: facts.count };
  return bilingualMessage(to, t, 'notify.email.subject', v, (tl) => [
      tl('notify.email.greeting'),
      '',
      tl('notify.email.arrived', v),
      tl('notify.email.open'),
      facts.inboxUrl,
      '',
      tl('notify.email.privacy'),
      tl('notify.email.automatic'),
    ]);
}
