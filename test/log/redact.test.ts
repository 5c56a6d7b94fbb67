import { describe, expect, it } from '@jest/globals';
import { checkDigit, isValidMyNumber } from '../../server/mynumber/check-digit.js';
import { createLogger } from '../../server/log/logger.js';
import { REDACTED, redactMyNumbers } from '../../server/log/redact.js';
import { LogSink } from '../helpers/app.js';
import { syntheticMyNumbers, variants } from '../helpers/mynumber.js';

describe('My Number check digit', () => {
  it('accepts the design example and rejects its neighbour', () => {
    expect(isValidMyNumber('123456789018')).toBe(true);
    expect(isValidMyNumber('123456789010')).toBe(false);
    expect(checkDigit('12345678901')).toBe(8);
  });
  it('rejects wrong lengths and non-digits', () => {
    expect(isValidMyNumber('12345678901')).toBe(false);
    expect(isValidMyNumber('1234567890180')).toBe(false);
    expect(isValidMyNumber('12345678901a')).toBe(false);
  });
  it('exactly one final digit completes any 11 digits', () => {
    for (const n of syntheticMyNumbers(50, 7)) {
      const valid = [...'0123456789'].filter((d) => isValidMyNumber(n.slice(0, 11) + d));
      expect(valid).toEqual([n[11]]);
    }
  });
});

describe('redaction guard', () => {
  const numbers = syntheticMyNumbers(20, 42);

  it('replaces every check-digit-valid number in every written form', () => {
    for (const n of numbers) {
      for (const v of variants(n)) {
        const out = redactMyNumbers(`社員 山田 ${v} です`);
        expect(out).toBe(`社員 山田 ${REDACTED} です`);
      }
    }
  });

  it('leaves 12-digit strings with a wrong check digit, and longer digit runs, readable', () => {
    const n = numbers[0];
    const wrong = n.slice(0, 11) + ((Number(n[11]) + 1) % 10);
    expect(redactMyNumbers(`tel ${wrong}`)).toBe(`tel ${wrong}`);
    expect(redactMyNumbers(`amount 9${n}`)).toBe(`amount 9${n}`);
  });

  it('a log line never reaches the sink with a number, whatever field it hides in', () => {
    const sink = new LogSink();
    const logger = createLogger({ level: 'info', destination: sink as never });
    const n = numbers[1];
    logger.info({ note: `row had ${n}`, nested: { deep: [variants(n)[4]] } }, `failed on ${variants(n)[1]}`);
    logger.error(new Error(`parse error near ${n}`));
    logger.flush();
    const text = sink.text;
    expect(text).toContain(REDACTED);
    for (const v of variants(n)) expect(text).not.toContain(v);
  });

  it('secret fields are dropped by name before they are written', () => {
    const sink = new LogSink();
    const logger = createLogger({ level: 'info', destination: sink as never });
    logger.info({ password: 'hunter2-hunter2', body: { totp: '123456' }, accessKey: 'abcdef0123' }, 'login');
    expect(sink.text).not.toMatch(/hunter2|123456|abcdef0123/);
  });

  it('a field named `code` is kept when it is an error code and masked only by value (issue 12 item 9)', () => {
    const sink = new LogSink();
    const logger = createLogger({ level: 'info', destination: sink as never });
    const n = numbers[2];
    const err = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    logger.error({ err, code: 'SQLITE_FULL', row: { code: variants(n)[3] }, other: { code: variants(n)[5] } }, 'write failed');
    logger.flush();
    expect(sink.text).toContain('"code":"ENOSPC"');
    expect(sink.text).toContain('"code":"SQLITE_FULL"');
    for (const v of variants(n)) expect(sink.text).not.toContain(v);
    expect(sink.text.split(REDACTED)).toHaveLength(3);
  });

  it('secrets stay redacted by name: passwords, passphrases, TOTP, tokens, access keys, cookies', () => {
    const sink = new LogSink();
    const logger = createLogger({ level: 'info', destination: sink as never });
    logger.info({ passphrase: 'kagi-passphrase-x', token: 'tok-abcdefghij', cookie: 'kinko_sid=zzzyyyxxx', req: { headers: { cookie: 'kinko_sid=qqqwww' } }, sessionId: 'sess-1234567' }, 'x');
    expect(sink.text).not.toMatch(/kagi-passphrase-x|tok-abcdefghij|zzzyyyxxx|qqqwww|sess-1234567/);
  });
});
