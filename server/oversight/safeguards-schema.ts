import { z } from 'zod';
import { asText } from '../http/validate.js';
import { SUBCONTRACT_KINDS } from './safeguards.js';

/**
 * The director's safeguards page (director, step-up): the three texts, and
 * one client's 許諾 dates — a date (the day the client approved, Japan) per
 * 再委託先, or empty for "not approved". Messages are i18n keys.
 */
const para = (max: number, key: string) => z.preprocess(asText, z.string().trim().max(max, key));

export const textsSchema = {
  body: z.object({
    policy: para(4000, 'oversight.safeguards.errors.tooLong').pipe(z.string().min(1, 'oversight.safeguards.errors.policyRequired')),
    rules: para(4000, 'oversight.safeguards.errors.tooLong').pipe(z.string().min(1, 'oversight.safeguards.errors.rulesRequired')),
    hosting: para(1000, 'oversight.safeguards.errors.tooLong').pipe(z.string().min(1, 'oversight.safeguards.errors.hostingRequired')),
  }),
};

const day = z.preprocess(asText, z.string().normalize('NFKC').trim().regex(/^(\d{4}-\d{2}-\d{2})?$/, 'oversight.safeguards.errors.date'));

export const approvalsSchema = {
  body: z.object({
    companyId: z.preprocess(asText, z.string().min(1, 'oversight.safeguards.errors.company').max(64, 'oversight.safeguards.errors.company')),
    ...(Object.fromEntries(SUBCONTRACT_KINDS.map((k) => [k, day])) as Record<(typeof SUBCONTRACT_KINDS)[number], typeof day>),
  }),
};
