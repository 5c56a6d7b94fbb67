import { z } from 'zod';
import { limits } from '../config.js';
import { isValidMyNumber } from '../mynumber/check-digit.js';

/**
 * What the employee's browser encrypts (static/js/collect-form.js), read
 * back only in memory after the office key opened it. Checked again here:
 * the browser's checks are for the employee's convenience, not a guarantee.
 */
const person = z.object({
  relation: z.enum(['self', 'spouse', 'child', 'father', 'mother', 'other']),
  name: z.string().trim().min(1).max(100),
  birth: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  number: z.string().regex(/^\d{12}$/).refine(isValidMyNumber),
});

const image = z.object({
  role: z.enum(['cardFront', 'cardBack', 'notificationCard', 'photoId']),
  type: z.enum(['image/jpeg', 'image/png', 'image/heic']),
  data: z.string().max(Math.ceil((limits.collect.maxImageBytes * 4) / 3) + 4),
});

export const submissionPayload = z.object({
  v: z.literal(1),
  persons: z
    .array(person)
    .min(1)
    .max(1 + limits.collect.maxFamily)
    .refine((ps) => ps[0]?.relation === 'self' && ps.slice(1).every((p) => p.relation !== 'self')),
  identity: z.object({ kind: z.enum(['card', 'notification']), images: z.array(image).max(limits.collect.maxImages) }),
});

/** What is kept of a confirmed submission while the office's policy keeps its identity images (kept-images.ts): the images alone. */
export const keptImagesPayload = z.object({ v: z.literal(1), kind: z.enum(['card', 'notification']), images: z.array(image).max(limits.collect.maxImages) });

export type SubmissionPayload = z.output<typeof submissionPayload>;

/** The relation as the vault stores it (ingest's words): 本人 / 配偶者 / 扶養親族n. */
export function vaultRelations(persons: SubmissionPayload['persons']): string[] {
  let n = 0;
  return persons.map((p) => (p.relation === 'self' ? '本人' : p.relation === 'spouse' ? '配偶者' : `扶養親族${++n}`));
}
