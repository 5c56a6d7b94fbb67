import { bilingualMessage, oneLine, type Translators } from '../mail/compose.js';
import type { MailMessage } from '../mail/mailer.js';
import { jstStamp } from '../lib/jst.js';

/**
 * The request e-mail to one employee: which company asks, the one-time link,
 * until when. It is handed nothing else, so it cannot carry a number or
 * anyone else's name. Japanese first, English below.
 */
export interface RequestMailFacts {
  companyName: string;
  personName: string;
  url: string;
  expiresAt: Date;
  /** Set when the office sent a submission back: its reason (numbers already removed). */
  returnReason?: string;
}

export function requestEmail(to: string, facts: RequestMailFacts, t: Translators): MailMessage {
  const v = { company: oneLine(facts.companyName), name: oneLine(facts.personName), until: jstStamp(facts.expiresAt) };
  return bilingualMessage([to], t, 'collect.mail.subject', v, (tl) => [
    tl('collect.mail.greeting', v),
    '',
    ...(facts.returnReason ? [tl('collect.mail.returned'), oneLine(facts.returnReason), ''] : []),
    tl('collect.mail.asked', v),
    tl('collect.mail.open'),
    facts.url,
    '',
    tl('collect.mail.until', v),
    tl('collect.mail.once'),
    tl('collect.mail.privacy'),
    tl('collect.mail.automatic'),
  ]);
}
