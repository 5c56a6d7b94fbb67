import type { TFunction } from 'i18next';
import type { MailMessage } from './mailer.js';

export type Translators = { ja: TFunction; en: TFunction };

/** Text typed by people (company or staff names) stays on one line inside a message: no header or layout injection. */
export function oneLine(s: string): string {
  return s.replace(/[\r\n\t\u0000-\u001f\u007f]+/g, ' ').trim();
}

/** Every kinko email: Japanese first, English below, one subject carrying both. */
export function bilingualMessage(
  to: readonly string[],
  t: Translators,
  subjectKey: string,
  vars: Record<string, string | number>,
  body: (tl: TFunction) => string[],
): MailMessage {
  return {
    to,
    subject: `${t.ja(subjectKey, vars)} / ${t.en(subjectKey, vars)}`,
    text: `${body(t.ja).join('\n')}\n\n----\n\n${body(t.en).join('\n')}\n`,
  };
}
