import { z } from 'zod';
import { asText } from '../http/validate.js';
import { periodFields } from './ledger-schema.js';

/** Issuing a signed custody report: the period in office days (ledger-schema.ts: empty = the past 12 months) and the key holder's passphrase. */
export const issueSchema = {
  body: periodFields.extend({
    passphrase: z.preprocess(asText, z.string().min(1, 'oversight.custody.errors.passphrase').max(1024, 'oversight.custody.errors.passphrase')),
  }),
};
