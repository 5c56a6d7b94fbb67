import { z } from 'zod';
import { asText, text } from '../http/validate.js';
import { LOGIN_ID } from './forms.js';

/**
 * The console's forms (read by `validate(schema)`, server/http/validate.ts).
 * Only the named fields are read — anything else a request carries
 * (`companyId`, `role`, `status`, `__proto__`, …) is dropped, so a crafted form
 * cannot pick the company, the role or the state of what it creates (TENANCY).
 * Each problem is an i18n key, shown next to its field in Japanese; checks run
 * in order and the form shows the first per field.
 */

const EMAIL = /^[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:"]+\.[^\s@<>()[\]\\,;:"]+$/;
// Control and bidi-override characters would make a printed sheet or a list lie about the name.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

const name = (key: string, max: number) =>
  z.preprocess(
    asText,
    z
      .string()
      .trim()
      .min(1, `accounts.errors.${key}Required`)
      .refine((v) => [...v].length <= max, `accounts.errors.${key}TooLong`)
      .refine((v) => !CONTROL.test(v), `accounts.errors.${key}Invalid`),
  );

// Full-width letters and digits typed on a Japanese keyboard become their ASCII forms; outer spaces go.
const email = z.preprocess(
  asText,
  z
    .string()
    .normalize('NFKC')
    .trim()
    .min(1, 'accounts.errors.emailRequired')
    .refine((v) => v.length <= 254 && EMAIL.test(v), 'accounts.errors.emailInvalid'),
);

export const createCompany = {
  body: z.object({ name: name('companyName', 100), contactEmail: email }),
};

export const createStaff = {
  body: z.object({
    displayName: name('displayName', 50),
    loginId: z.preprocess(
      asText,
      z.string().normalize('NFKC').trim().toLowerCase().min(1, 'accounts.errors.loginIdRequired').regex(LOGIN_ID, 'accounts.errors.loginIdInvalid'),
    ),
    email,
  }),
};

export const addKeyHolder = { body: z.object({ passphrase: text }) };
