import type { TFunction } from 'i18next';
import { formatJst } from '../lib/jst.js';
import { maskNumber, reasonLabel, relationLabel } from './present.js';
import type { HeldRow, Plan, PreviewEntry } from './preview.js';
import type { JobRecord } from './repo.js';

/**
 * The ingest preview as the staff member reads it, a page at a time. Every
 * way to another page (pager, filter, page number) is a submit button of the
 * page's own form (issue 11): moving saves this page's ticks first, so a
 * large file's exclusions and repairs are never lost between pages, and no
 * JavaScript is needed. The totals are computed once from the whole plan and
 * shown on every page.
 */
type Lang = 'ja' | 'en';

/** People per page of the preview's person list, and rows per page of its review list. */
import type { RosterDepartures } from './departures.js';

export const PREVIEW_PAGE_SIZE = 50;
export const REVIEW_PAGE_SIZE = 40;
// Why not 100: one page's form posts one field per ticked box, and the form
// parser takes at most 100 fields (server/app.ts): 4 fixed fields plus a
// whole page of each list ticked must stay under it.

/** Which persons the list shows: all, or one result. */
export const PERSON_FILTERS = ['all', 'add', 'duplicate', 'number-change', 'excluded'] as const;
export type PersonFilter = (typeof PERSON_FILTERS)[number];

/** Where in the preview the staff member is: person list page and filter, review list page. */
export interface PreviewPlace {
  page: number;
  status: PersonFilter;
  rpage: number;
}

/** The place from a query string (or a form action's); anything odd is the first page of everything. */
export function previewPlace(q: Record<string, unknown>): PreviewPlace {
  const num = (v: unknown) => (typeof v === 'string' && /^[1-9][0-9]{0,6}$/.test(v) ? Number(v) : 1);
  const status = (PERSON_FILTERS as readonly unknown[]).includes(q.status) ? (q.status as PersonFilter) : 'all';
  return { page: num(q.page), status, rpage: num(q.rpage) };
}

/** The preview's address for a place; defaults are left out so the plain address stays plain. */
export function previewHref(jobId: string, place: PreviewPlace, extra: Record<string, string> = {}, anchor = ''): string {
  const q = new URLSearchParams();
  if (place.page > 1) q.set('page', String(place.page));
  if (place.status !== 'all') q.set('status', place.status);
  if (place.rpage > 1) q.set('rpage', String(place.rpage));
  for (const [k, v] of Object.entries(extra)) q.set(k, v);
  const qs = q.toString();
  return `/office/ingest/${jobId}${qs ? `?${qs}` : ''}${anchor}`;
}

/**
 * Where a button that moves to `place` posts: the selection endpoint, which
 * keeps this page's ticks and then redirects to `place` (`go` names the list
 * to scroll to). Plain links would drop the unsaved ticks.
 */
export function moveAction(jobId: string, place: PreviewPlace, go: 'persons' | 'review', extra: Record<string, string> = {}): string {
  return previewHref(jobId, place, { go, ...extra }).replace(`/office/ingest/${jobId}`, `/office/ingest/${jobId}/selection`);
}

export interface PagerView {
  page: number;
  pages: number;
  total: number;
  from: number;
  to: number;
  first: string | null;
  prev: string | null;
  next: string | null;
  last: string | null;
  /** Page numbers around the current one; null stands for a gap (…). `href` is the button's formaction (moveAction). */
  links: Array<{ page: number; href: string; current: boolean } | null>;
}

function pager(total: number, size: number, wanted: number, href: (page: number) => string): PagerView {
  const pages = Math.max(1, Math.ceil(total / size));
  const page = Math.min(Math.max(1, wanted), pages);
  const around = new Set([1, pages]);
  for (let n = page - 2; n <= page + 2; n++) if (n >= 1 && n <= pages) around.add(n);
  const links: PagerView['links'] = [];
  let last = 0;
  for (const n of [...around].sort((a, b) => a - b)) {
    if (n > last + 1) links.push(null);
    links.push({ page: n, href: href(n), current: n === page });
    last = n;
  }
  return {
    page,
    pages,
    total,
    from: total === 0 ? 0 : (page - 1) * size + 1,
    to: Math.min(total, page * size),
    first: page > 1 ? href(1) : null,
    prev: page > 1 ? href(page - 1) : null,
    next: page < pages ? href(page + 1) : null,
    last: page < pages ? href(pages) : null,
    links,
  };
}

export function previewView(
  t: TFunction,
  lang: Lang,
  job: JobRecord,
  entry: PreviewEntry,
  plan: Plan,
  selection: { exclude: ReadonlySet<string>; repair: ReadonlySet<string> },
  place: PreviewPlace = { page: 1, status: 'all', rpage: 1 },
  departures: RosterDepartures = { record: [], later: 0 },
) {
  const statusKey = (s: string) => (s === 'number-change' ? 'numberChange' : s);
  const fmt = (n: number) => n.toLocaleString(lang === 'ja' ? 'ja-JP' : 'en-US');
  const where = (x: { sheet: string; row: number; page?: number | null }) =>
    x.page ? t('ingestFlow.preview.wherePage', { sheet: x.sheet, page: x.page, row: x.row }) : t('ingestFlow.preview.where', { sheet: x.sheet, row: x.row });

  // The held-rows section lists every held row (plan.held, whose length is the
  // summary's count), with the repaired rows in their file order among them
  // (not held any more, but their box can be undone there).
  const sectionRows: HeldRow[] = [...plan.review.map((r): HeldRow => ({ kind: 'review', review: r })), ...plan.held.filter((h) => h.kind === 'number-change')];
  const matching = place.status === 'all' ? plan.persons : plan.persons.filter((p) => p.status === place.status);
  const persons = pager(matching.length, PREVIEW_PAGE_SIZE, place.page, (page) => moveAction(job.id, { ...place, page }, 'persons'));
  const review = pager(sectionRows.length, REVIEW_PAGE_SIZE, place.rpage, (rpage) => moveAction(job.id, { ...place, rpage }, 'review'));
  const here: PreviewPlace = { page: persons.page, status: place.status, rpage: review.page };

  const personRows = matching.slice((persons.page - 1) * PREVIEW_PAGE_SIZE, persons.page * PREVIEW_PAGE_SIZE).map((p) => ({
    key: p.key,
    name: p.person.name,
    furigana: p.person.furigana ?? '',
    employeeCode: p.person.employeeCode ?? '',
    relationLabel: relationLabel(t, p.person.relation),
    where: where(p.person),
    masked: maskNumber(p.person.number),
    status: p.status,
    statusLabel: t(`ingestFlow.preview.status.${statusKey(p.status)}`),
    excluded: selection.exclude.has(p.key),
    repaired: p.key.startsWith('r'),
  }));
  const reviewRows = sectionRows.slice((review.page - 1) * REVIEW_PAGE_SIZE, review.page * REVIEW_PAGE_SIZE).map((h) =>
    h.kind === 'review'
      ? {
          key: h.review.key,
          name: h.review.row.name ?? '',
          relationLabel: relationLabel(t, h.review.row.relation),
          where: where(h.review.row),
          masked: h.review.row.masked,
          reasonLabel: reasonLabel(t, h.review.row.reason),
          proposal: h.review.row.reason === 'excel-damaged' && h.review.row.proposedNumber ? maskNumber(h.review.row.proposedNumber) : null,
          repaired: h.review.repaired,
        }
      : {
          key: h.person.key,
          name: h.person.person.name,
          relationLabel: relationLabel(t, h.person.person.relation),
          where: where(h.person.person),
          masked: maskNumber(h.person.person.number),
          reasonLabel: reasonLabel(t, 'number-change'),
          proposal: null,
          repaired: false,
        },
  );
  const countOf = (f: PersonFilter) => (f === 'all' ? plan.persons.length : plan.persons.filter((p) => p.status === f).length);
  const repairedCount = plan.review.filter((r) => r.repaired).length;

  return {
    jobId: job.id,
    dropId: job.dropId,
    version: entry.version,
    format: entry.result.format,
    encoding: entry.result.encoding ?? null,
    expiresAtLabel: formatJst(new Date(entry.expiresAt).toISOString(), lang),
    counts: plan.counts,
    countText: {
      add: fmt(plan.counts.add),
      duplicates: fmt(plan.counts.duplicates),
      review: fmt(plan.counts.review),
      excluded: fmt(plan.counts.excluded),
      repaired: fmt(repairedCount),
      numberChanges: fmt(plan.counts.numberChanges),
    },
    repairedCount,
    totalPersons: plan.persons.length,
    totalPersonsText: fmt(plan.persons.length),
    filters: PERSON_FILTERS.map((f) => ({
      status: f,
      label: t(`ingestFlow.preview.filter.${statusKey(f)}`),
      count: fmt(countOf(f)),
      href: moveAction(job.id, { page: 1, status: f, rpage: review.page }, 'persons'),
      current: f === place.status,
    })),
    numberChangesHref: moveAction(job.id, { page: 1, status: 'number-change', rpage: review.page }, 'persons'),
    persons: personRows,
    personsPager: { ...persons, text: t('ingestFlow.preview.pageOf', { page: fmt(persons.page), pages: fmt(persons.pages), total: fmt(persons.total), from: fmt(persons.from), to: fmt(persons.to) }) },
    review: reviewRows,
    reviewPager: { ...review, text: t('ingestFlow.preview.reviewPageOf', { page: fmt(review.page), pages: fmt(review.pages), total: fmt(review.total), from: fmt(review.from), to: fmt(review.to) }) },
    place: here,
    /** Where "save" posts; the redirect comes back to this same place. */
    selectionAction: `/office/ingest/${job.id}/selection${previewHref(job.id, here).slice(`/office/ingest/${job.id}`.length)}`,
    /** Where the page-number box posts (its number replaces the page); also the form's default button (Enter). */
    jumpAction: moveAction(job.id, here, 'persons', { jump: '1' }),
    confirmAction: `/office/ingest/${job.id}/confirm`,
    shownExclude: personRows.map((x) => x.key).join(','),
    shownRepair: reviewRows.filter((r) => r.proposal).map((r) => r.key).join(','),
    ambiguous: entry.result.ambiguousColumns.map((a, group) => ({
      group,
      sheet: a.sheet,
      relationLabel: relationLabel(t, a.relation),
      candidates: a.candidates.map((c, candidate) => ({ candidate, letter: c.letter, header: c.header })),
    })),
    warnings: entry.result.warnings.map((w) => t(w.key, { count: w.count })),
    /** The roster's 退職日 column: how many can be recorded as leavers (only if ticked), and how many lie ahead. */
    departures: { count: departures.record.length, countText: fmt(departures.record.length), later: departures.later, laterText: fmt(departures.later) },
  };
}
