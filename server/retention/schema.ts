import { z } from 'zod';

/** The retention forms' inputs (one schema per route; a date field left empty means "none"). */
const date = z.string().trim().max(10);

export const servicesBody = z.object({ service: z.union([z.string(), z.array(z.string())]).optional() }).transform((b) => ({ serviceIds: b.service === undefined ? [] : ([] as string[]).concat(b.service) }));
export const dateBody = z.object({ on: date.optional() }).transform((b) => ({ on: b.on ? b.on : null }));
export const departureBody = z.object({ on: date });
export const holdBody = z.object({ reason: z.string().max(400).optional(), lift: z.literal('1').optional() }).transform((b) => ({ reason: b.lift ? null : (b.reason ?? '') }));
/** The room's leaver form: one `on_<personId>` date per person; empty ones are ignored. */
export const leaversBody = z.record(z.string(), z.unknown()).transform((b) =>
  Object.entries(b)
    .filter(([k, v]) => /^on_[A-Za-z0-9_-]{1,64}$/.test(k) && typeof v === 'string' && v.trim() !== '')
    .map(([k, v]) => ({ personId: k.slice(3), on: (v as string).trim() })),
);

