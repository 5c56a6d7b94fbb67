import { z } from 'zod';
import { asText, text } from '../../http/validate.js';

/** The company's bundle settings forms (director, step-up). Full-width digits and hyphens typed on a Japanese keyboard are read as ASCII. */
const digits = z.preprocess(asText, z.string().normalize('NFKC').transform((v) => v.replace(/[\s-]/g, '')));

export const settings = {
  body: z.object({
    corporateNumber: digits.pipe(z.string().regex(/^(\d{13})?$/, 'bundles.settings.errors.corporateNumberLength')),
    payerAddress: z.preprocess(asText, z.string().trim().max(120, 'bundles.settings.errors.addressTooLong')),
    contactName: z.preprocess(asText, z.string().trim().max(40, 'bundles.settings.errors.contactTooLong')),
    contactPhone: z.preprocess(asText, z.string().normalize('NFKC').trim().regex(/^[0-9()+\- ]{0,20}$/, 'bundles.settings.errors.phoneInvalid')),
  }),
};

/** An armored OpenPGP public key, as pasted (or a file's text the browser put in the field). */
export const clientKey = { body: z.object({ publicKey: text.pipe(z.string().min(1, 'bundles.settings.errors.keyRequired').max(60_000, 'bundles.settings.errors.keyTooLong')) }) };
