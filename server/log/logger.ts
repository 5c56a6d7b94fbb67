import { pino, type Logger, type DestinationStream } from 'pino';
import { redactMyNumbers } from './redact.js';

export type { Logger };

/**
 * Structured JSON logs. Two guards stand between a log call and the sink:
 * pino's path redaction drops fields that are secrets by name (passwords,
 * TOTP codes, cookies, access keys in URLs are never logged at all), and
 * `streamWrite` rewrites the finished line so that no check-digit-valid
 * My Number can reach disk whatever field it hid in.
 */
export function createLogger(opts: { level: string; destination?: DestinationStream }): Logger {
  return pino(
    {
      level: opts.level,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: [
          // Secrets by name. Not `code`: that is also what errors carry (ENOSPC,
          // SQLITE_FULL), and blanking it hid the cause of a full disk. My Numbers
          // are caught by value below, whatever field they sit in.
          'password', '*.password', 'passphrase', '*.passphrase', 'totp', '*.totp', 'totpCode', '*.totpCode',
          'secret', '*.secret', 'req.headers.cookie', 'req.headers.authorization', 'res.headers["set-cookie"]',
          'headers.cookie', 'headers.authorization', 'accessKey', '*.accessKey', 'sessionId', '*.sessionId', 'token', '*.token', 'cookie', '*.cookie',
        ],
        censor: '[redacted]',
      },
      hooks: { streamWrite: (line: string) => redactMyNumbers(line) },
    },
    opts.destination ?? pino.destination({ dest: 1, sync: false }),
  );
}
