import { z } from 'zod';
import { limits } from '../config.js';
import { text } from '../http/validate.js';

/**
 * The collection forms (read by `validate(schema)`). A request form carries
 * parallel lists `name`, `code`, `email` (one entry per row of the form);
 * rows left blank are skipped. Nothing else is read: the company comes from
 * the room or the page, never from the form (TENANCY).
 */
const EMAIL = /^[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:"]+\.[^\s@<>()[\]\\,;:"]+$/;
// Control and bidi-override characters would make a printed slip or the status list lie about the name.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
// A My Number typed into a name or code field by mistake must not be stored or mailed (P3).
const LONG_DIGITS = /\d[\d\s-]{6,}\d/;

const list = z.preprocess((v) => (Array.isArray(v) ? v : typeof v === 'string' ? [v] : []), z.array(z.string()).max(limits.collect.maxPeoplePerRequest * 2));

export const requestBody = z
  .object({ name: list, code: list, email: list })
  .transform((b) => {
    const rows = Math.max(b.name.length, b.code.length, b.email.length);
    return Array.from({ length: rows }, (_, i) => ({
      name: (b.name[i] ?? '').normalize('NFKC').trim(),
      employeeCode: (b.code[i] ?? '').normalize('NFKC').trim() || null,
      email: (b.email[i] ?? '').normalize('NFKC').trim() || null,
    })).filter((p) => p.name || p.employeeCode || p.email);
  })
  .superRefine((people, ctx) => {
    const fail = (key: string) => ctx.addIssue({ code: 'custom', message: `collect.errors.${key}` });
    if (people.length === 0) return fail('nobody');
    if (people.length > limits.collect.maxPeoplePerRequest) return fail('tooMany');
    for (const p of people) {
      if (!p.name) return fail('nameRequired');
      if ([...p.name].length > 100 || CONTROL.test(p.name) || LONG_DIGITS.test(p.name)) return fail('nameInvalid');
      if (p.employeeCode && (p.employeeCode.length > 40 || CONTROL.test(p.employeeCode) || LONG_DIGITS.test(p.employeeCode))) return fail('codeInvalid');
      if (p.email && (p.email.length > 254 || !EMAIL.test(p.email))) return fail('emailInvalid');
    }
  });

export const requestForm = { body: requestBody };

export const noticeForm = {
  body: z.object({
    body: text.pipe(
      z
        .string()
        .trim()
        .min(1, 'collect.errors.noticeRequired')
        .max(limits.collect.noticeMaxChars, 'collect.errors.noticeTooLong')
    ),
  }),
};

/** The employee's forms on their link page. */
export const acknowledgeForm = {
  body: z.object({ version: z.preprocess((v) => Number(v), z.number().int().min(0).catch(-1)) }),
};

export const declineForm = {
  body: z.object({ reason: text.pipe(z.string().trim().max(limits.collect.reasonMaxChars, 'collect.errors.reasonTooLong')) }),
};

/** The browser's own id of one sending attempt (a retry sends the same). */
export const submitHeaders = z.string().regex(/^[A-Za-z0-9_-]{16,64}$/);

/** The key passphrase (checked by the office key's unlock guard, never stored or logged). */
export const passphraseForm = {
  body: z.object({ passphrase: text.pipe(z.string().min(1, 'collect.errors.passphraseRequired').max(1024, 'collect.errors.passphraseRequired')) }),
};

export const returnForm = {
  body: z.object({ reason: text.pipe(z.string().trim().min(1, 'collect.errors.returnReasonRequired').max(limits.collect.reasonMaxChars, 'collect.errors.reasonTooLong')) }),
};
