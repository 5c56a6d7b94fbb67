import { z } from 'zod';
import { flag, text } from '../http/validate.js';

/**
 * The vault pages' inputs (read by `validate(schema)`, server/http/validate.ts).
 * None of them refuses: a field missing, repeated or not text reads as '' and
 * the service answers for it (a purpose the statutory list lacks is the form
 * again; an id it does not know is 404), as the pages always did.
 */

/** `?page=` as a number (1 for anything that is not one), `?q=` as typed. */
export const personsList = {
  query: z.object({ page: text.transform((v) => Number.parseInt(v, 10)).transform((n) => (Number.isFinite(n) ? n : 1)), q: text }),
};

/** What the person page shows after a redirect: the window was locked, a retention form saved or refused. */
const personPageQuery = z.object({ locked: flag, saved: flag, error: text });

export const personPage = { query: personPageQuery };

/** The reveal form; on a mistake the person page is shown again, so its query too. */
export const reveal = { body: z.object({ purpose: text, passphrase: text }), query: personPageQuery };

/** "Lock now": back to the person it was pressed on. */
export const lockWindow = { body: z.object({ personId: text }) };

export const revealBlocks = { query: z.object({ lifted: flag }) };
