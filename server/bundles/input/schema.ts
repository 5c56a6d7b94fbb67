import { z } from 'zod';
import { flag, text } from '../../http/validate.js';

/** What the year-end input pages read from forms (server/http/validate.ts); messages are i18n keys. */
const nenbun = text.pipe(z.string().regex(/^[1-9][0-9]?$/, 'bundles.input.errors.unknownNenbun')).transform(Number);

export const mark = { body: z.object({ nenbun }) };

export const open = { body: z.object({ passphrase: text }) };

/** The refusals a resolve form can come back with (PRG: only a known name travels in the address). */
export const RESOLVE_ERRORS = ['notOpen', 'noSuchSubject', 'noSuchPerson', 'noteRequired', 'noteTooLong', 'noteDigits', 'noAction'] as const;

export const page = { query: z.object({ error: z.enum(RESOLVE_ERRORS).optional().catch(undefined), saved: flag }) };

export const resolve = {
  body: z.object({
    line: text.pipe(z.string().regex(/^[1-9][0-9]{0,6}$/, 'bundles.input.errors.noSuchSubject')).transform(Number),
    subject: text,
    action: z.enum(['link', 'not-provided'], { message: 'bundles.input.errors.noAction' }),
    personId: text.catch(''),
    note: text.catch(''),
  }),
};
