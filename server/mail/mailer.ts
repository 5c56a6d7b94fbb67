import nodemailer from 'nodemailer';
import type { Config } from '../config.js';
import type { Logger } from '../log/logger.js';
import { redactMyNumbers } from '../log/redact.js';
import { writeToOutbox } from './outbox.js';

/**
 * How kinko sends e-mail: through SMTP when KINKO_SMTP_URL is set, otherwise
 * into the data folder's outbox (one .eml file per message) plus a log line,
 * so an embedded install needs no mail server and loses no notice.
 *
 * Plain text only. Every subject and body passes through redactMyNumbers
 * before it leaves the process: records about handling, e-mails included,
 * must never carry a My Number (PPC guideline; security.md AUDIT). Callers
 * put only room names and counts in a message; this is the second guard.
 */
export interface MailMessage {
  to: readonly string[];
  subject: string;
  text: string;
}

export interface Mailer {
  readonly kind: 'smtp' | 'outbox';
  /** Resolves once the SMTP server accepted the message or the .eml file is in place. */
  send(message: MailMessage): Promise<void>;
  close(): Promise<void>;
}

export function buildMailer(config: Config['mail'], logger: Logger): Mailer {
  return config.kind === 'smtp' ? smtpMailer(config.url, config.from, logger) : outboxMailer(config.dir, config.from, logger);
}

/** What goes out: numbers redacted, no line breaks in the subject (header injection). */
export function sanitize(message: MailMessage): MailMessage {
  return {
    to: message.to,
    subject: redactMyNumbers(message.subject).replace(/[\r\n\t\u0000-\u001f\u007f]+/g, ' ').trim(),
    text: redactMyNumbers(message.text),
  };
}

function fields(from: string, m: MailMessage) {
  return {
    from,
    to: [...m.to],
    subject: m.subject,
    text: m.text,
    // A notice is machine-made: auto-responders must not answer it (RFC 3834).
    headers: { 'Auto-Submitted': 'auto-generated' },
    // The message is built from our own strings only; never let a field pull in a file or URL.
    disableFileAccess: true,
    disableUrlAccess: true,
  };
}

function smtpMailer(url: string, from: string, logger: Logger): Mailer {
  // The URL's own settings win; these bound how long a dead server can hold a sender.
  const transport = nodemailer.createTransport({
    url,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
    disableFileAccess: true,
    disableUrlAccess: true,
  } as Parameters<typeof nodemailer.createTransport>[0] & object);
  return {
    kind: 'smtp',
    async send(message) {
      const m = sanitize(message);
      if (m.to.length === 0) return;
      await transport.sendMail(fields(from, m));
      logger.info({ mail: 'smtp', recipients: m.to.length, subject: m.subject }, 'mail sent');
    },
    async close() {
      transport.close();
    },
  };
}

function outboxMailer(dir: string, from: string, logger: Logger): Mailer {
  // Builds the RFC 5322 message in memory; nothing is sent anywhere.
  const composer = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return {
    kind: 'outbox',
    async send(message) {
      const m = sanitize(message);
      if (m.to.length === 0) return;
      const info = await composer.sendMail(fields(from, m));
      const file = await writeToOutbox(dir, info.message as Buffer);
      logger.info({ mail: 'outbox', file, recipients: m.to.length, subject: m.subject }, 'mail written to the outbox');
    },
    async close() {
      composer.close();
    },
  };
}
