import { z } from 'zod';

/** The disposal batch forms' inputs (one schema per route). */
/** Approving a disposal batch: the people ticked (`person`), a reason from the list with free text, the key passphrase. */
export const approveBody = z
  .object({
    person: z.union([z.string().max(64), z.array(z.string().max(64)).max(100_000)]).optional(),
    reason: z.string().max(40).catch(''),
    reasonText: z.string().max(2000).catch(''),
    passphrase: z.string().max(1024).catch(''),
  })
  .transform((b) => ({ personIds: b.person === undefined ? [] : ([] as string[]).concat(b.person), reasonCode: b.reason, reasonText: b.reasonText, passphrase: b.passphrase }));
/** Confirming, finishing or certifying a batch: the key holder's passphrase only. */
export const passphraseBody = z.object({ passphrase: z.string().max(1024).catch('') });
