import { z } from 'zod';
import { flag, text } from '../http/validate.js';
import { isParseErrorCode, type ParseErrorCode } from './parse/errors.js';
import type { PageChoices } from './preview-cache.js';
import { PERSON_FILTERS, type PreviewPlace } from './preview-view.js';

/**
 * What the ingest pages read from forms and addresses (read by
 * `validate(schema)`, server/http/validate.ts). Nothing here refuses a
 * request: every field a person cannot type wrongly on these pages (checkbox
 * keys, page numbers, filters) falls back to its default, as the plain-HTML
 * pages always did; the services then check versions and keys.
 */

const PAGE = /^[1-9][0-9]{0,6}$/;
/** A page number in the address; anything else is page 1. */
const pageNumber = z.string().regex(PAGE).transform(Number).catch(1);

/** Short plain keys of the preview's checkboxes (p12, r3); anything else is dropped. */
const KEY = /^[pr][0-9]{1,7}$/;
const keyList = z.preprocess(
  (v) => (Array.isArray(v) ? v : v === undefined ? [] : [v]).filter((x): x is string => typeof x === 'string' && KEY.test(x)),
  z.array(z.string()),
);
/** The keys a page showed, sent as one comma-separated field (the form parser takes at most 100 fields). */
const shownKeys = text.transform((v) => v.split(',').slice(0, 1000).filter((x) => KEY.test(x)));
/** The reading of the file the form was made on ('' or odd text never equals one). */
const version = text.transform(Number);

const place = { page: pageNumber, status: z.enum(PERSON_FILTERS).catch('all'), rpage: pageNumber };

/** One preview page's boxes: the keys it showed (per checkbox kind) and the ones ticked (PageChoices). */
const pageForm = z.object({ version, shown: shownKeys, shownRepair: shownKeys, exclude: keyList, repair: keyList });
const choicesOf = (b: z.output<typeof pageForm>): PageChoices => ({ shownExclude: b.shown, shownRepair: b.shownRepair, exclude: b.exclude, repair: b.repair });

export const dropPage = { query: z.object({ committed: flag }) };

export const startIngest = { body: z.object({ passphrase: text, readAgain: flag }) };

export const preview = {
  query: z.object({
    ...place,
    changed: flag,
    saved: flag,
    // Why the re-read with the chosen columns did not happen (a parse error code; anything else is ignored).
    reread: z.preprocess((v) => (isParseErrorCode(v) ? v : null), z.custom<ParseErrorCode | null>()),
  }),
};

export const selection = {
  query: z.object({ ...place, jump: flag, go: z.enum(['persons', 'review']).nullable().catch(null) }),
  // An empty or odd page number (Enter in an empty box) stays on the page the form was on.
  body: pageForm
    .extend({ goto: z.string().regex(PAGE).transform(Number).nullable().catch(null) })
    .transform((b) => ({ version: b.version, goto: b.goto, choices: choicesOf(b) })),
};

/** The confirmation: the page's boxes, and whether to record the roster's 退職日 column as departures (an unticked box sends nothing). */
export const confirm = { body: pageForm.extend({ departures: flag }).transform((b) => ({ version: b.version, choices: choicesOf(b), departures: b.departures })) };

/** `col<group>=<candidate>`: the My Number column staff chose for each group; other fields are ignored. */
export const columns = {
  body: z.record(z.string(), z.unknown()).transform((body) => {
    const picks: Array<{ group: number; candidate: number }> = [];
    for (const [k, v] of Object.entries(body)) {
      const m = /^col([0-9]{1,4})$/.exec(k);
      if (m && typeof v === 'string' && /^[0-9]{1,4}$/.test(v)) picks.push({ group: Number(m[1]), candidate: Number(v) });
    }
    return { picks, version: Number(typeof body.version === 'string' ? body.version : '') };
  }),
};

/** Where the selection form goes next: the place in its action, a page-number box's number replacing the page. */
export function nextPlace(q: z.output<typeof selection.query>, goto: number | null): PreviewPlace {
  return { page: q.jump && goto !== null ? goto : q.page, status: q.status, rpage: q.rpage };
}
