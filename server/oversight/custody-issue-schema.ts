import { z } from 'zod';
import { isIsoDate } from '../retention/calendar.js';
import { asText } from '../http/validate.js';

/** Issuing a signed custody report: the period in office days (empty = the past 12 months) and the key holder's passphrase. */
const day = z.preprocess(asText, z.string().trim().refine((v) => v === '' || isIsoDate(v), { message: 'oversight.ledger.errors.badDay' }));

export const issueSchema = {
  body: z.object({
    from: day,
    to: day,
    passphrase: z.preprocess(asText, z.string().min(1, 'oversight.custody.errors.passphrase').max(1024, 'oversight.custody.errors.passphrase')),
  }),
};
