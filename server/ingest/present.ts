import type { TFunction } from 'i18next';
import { formatJst, formatSize } from '../drops/receipts.js';
import { maskNumber as maskValue } from '../mynumber/mask.js';
import type { Relation, ReviewReason } from './parse/types.js';
import type { Plan, PreviewEntry } from './preview.js';
import type { DisposalRecord, JobRecord, OfficeDrop, ReviewRecord } from './repo.js';
import { PREVIEW_TTL_MS } from './runtime.js';

/**
 * Pages as people read them. Pure shaping, no queries. A number appears
 * here only masked to its last four digits (`**** **** 1234`): the preview is
 * a check that the right rows were found, not a place to read numbers.
 */
type Lang = 'ja' | 'en';

export function maskNumber(number: string): string {
  return maskValue(`${number.slice(0, 4)} ${number.slice(4, 8)} ${number.slice(8)}`);
}

/** 受付済 / 取込中 / 取込済 / 廃棄済 — the drop's state with its job's, as the office sees it. */
export type OfficeState = 'received' | 'ingesting' | 'ingested' | 'disposed';

export function officeState(dropState: string, jobState: string | null | undefined): OfficeState {
  if (dropState === 'disposed') return 'disposed';
  if (dropState === 'ingested') return 'ingested';
  if (jobState === 'claimed' || jobState === 'previewing' || jobState === 'committing') return 'ingesting';
  return 'received';
}

export function relationLabel(t: TFunction, r: Relation): string {
  return r.kind === 'dependent' ? t('ingest.relations.dependent', { index: r.index }) : t(`ingest.relations.${r.kind}`);
}

export function reasonLabel(t: TFunction, reason: ReviewReason | 'number-change' | string): string {
  if (reason === 'number-change') return t('ingestFlow.reasons.numberChange');
  const key = `ingest.reasons.${reason}`;
  const label = t(key);
  return label === key ? reason : label;
}

export function dropListView(t: TFunction, lang: Lang, d: OfficeDrop & { jobState: string | null; claimedByName: string | null; unreadable?: boolean }) {
  const state = officeState(d.state, d.jobState);
  const unreadable = state === 'received' && d.unreadable === true;
  return {
    id: d.id,
    companyName: d.companyName,
    fileName: d.fileName,
    receivedAt: d.createdAt,
    receivedAtLabel: formatJst(d.createdAt, lang),
    sizeLabel: formatSize(d.size, lang),
    state: unreadable ? 'unreadable' : state,
    stateLabel: unreadable ? t('ingestFlow.unreadable.state') : t(`ingestFlow.state.${state}`),
    holder: state === 'ingesting' ? d.claimedByName : null,
  };
}

export interface DropPageInput {
  drop: OfficeDrop;
  job: JobRecord | null;
  disposal: DisposalRecord | null;
  review: ReviewRecord[];
  viewer: { userId: string; holder: boolean; mustChange: boolean };
  now: Date;
}

export function dropPageView(t: TFunction, lang: Lang, i: DropPageInput) {
  const state = officeState(i.drop.state, i.job?.state);
  const activeOther = state === 'ingesting' && i.job && i.job.claimedBy !== i.viewer.userId && Date.parse(i.job.updatedAt) > i.now.getTime() - PREVIEW_TTL_MS;
  const mine = state === 'ingesting' && i.job?.claimedBy === i.viewer.userId && i.job.state === 'previewing';
  // Why this viewer cannot start, or null when the form is offered.
  let blocked: string | null = null;
  if (state === 'ingested' || state === 'disposed') blocked = null;
  else if (!i.viewer.holder) blocked = 'notHolder';
  else if (i.viewer.mustChange) blocked = 'mustChange';
  else if (activeOther) blocked = 'busy';
  return {
    id: i.drop.id,
    companyName: i.drop.companyName,
    fileName: i.drop.fileName,
    receivedAtLabel: formatJst(i.drop.createdAt, lang),
    receivedAt: i.drop.createdAt,
    size: i.drop.size,
    sizeLabel: formatSize(i.drop.size, lang),
    sha256: i.drop.sha256,
    kindLabel: t(`drops.kind.${i.drop.kind}`),
    state,
    stateLabel: t(`ingestFlow.state.${state}`),
    canIngest: state !== 'ingested' && state !== 'disposed' && blocked === null,
    blocked,
    holderName: i.job?.claimedByName ?? '',
    holderSinceLabel: i.job?.claimedAt ? formatJst(i.job.claimedAt, lang) : '',
    myPreview: mine ? i.job!.id : null,
    lastError: state === 'received' && i.job?.lastError && !i.job.unreadable ? t(i.job.lastError) : null,
    // Issue 12: the file could not be read; why, when, how often — and a deliberate "read again" instead of a plain start.
    unreadable:
      state === 'received' && i.job?.unreadable
        ? { reason: t(i.job.lastError ?? 'ingestFlow.errors.failed'), atLabel: formatJst(i.job.unreadable.at, lang), count: i.job.unreadable.count }
        : null,
    counts: i.job?.counts ?? null,
    committedAtLabel: i.job?.committedAt ? formatJst(i.job.committedAt, lang) : null,
    awaitingDisposal: i.job?.state === 'committed',
    disposal: i.disposal && {
      ...i.disposal,
      verifiedAtLabel: formatJst(i.disposal.verifiedAt, lang),
      methodLabel: t(`ingestFlow.disposal.methods.${i.disposal.method}`, { backend: t(`ingestFlow.disposal.backends.${i.disposal.backend}`, { defaultValue: i.disposal.backend }) }),
      byLabel: i.disposal.byUser ? (i.disposal.byUserName ?? i.disposal.byUser) : t('ingestFlow.disposal.bySystem'),
    },
    review: i.review.map((r) => ({ ...r, reasonLabel: reasonLabel(t, r.reason) })),
  };
}

/** People per page of the preview's person list, and rows per page of its review list. */
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
  /** Page numbers around the current one; null stands for a gap (…). */
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
) {
  const statusKey = (s: string) => (s === 'number-change' ? 'numberChange' : s);
  const fmt = (n: number) => n.toLocaleString(lang === 'ja' ? 'ja-JP' : 'en-US');
  const where = (x: { sheet: string; row: number; page?: number | null }) =>
    x.page ? t('ingestFlow.preview.wherePage', { sheet: x.sheet, page: x.page, row: x.row }) : t('ingestFlow.preview.where', { sheet: x.sheet, row: x.row });

  const matching = place.status === 'all' ? plan.persons : plan.persons.filter((p) => p.status === place.status);
  const persons = pager(matching.length, PREVIEW_PAGE_SIZE, place.page, (page) => previewHref(job.id, { ...place, page }, {}, '#persons'));
  const review = pager(plan.review.length, REVIEW_PAGE_SIZE, place.rpage, (rpage) => previewHref(job.id, { ...place, rpage }, {}, '#review'));
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
  const reviewRows = plan.review.slice((review.page - 1) * REVIEW_PAGE_SIZE, review.page * REVIEW_PAGE_SIZE).map((r) => ({
    key: r.key,
    name: r.row.name ?? '',
    relationLabel: relationLabel(t, r.row.relation),
    where: where(r.row),
    masked: r.row.masked,
    reasonLabel: reasonLabel(t, r.row.reason),
    proposal: r.row.reason === 'excel-damaged' && r.row.proposedNumber ? maskNumber(r.row.proposedNumber) : null,
    repaired: r.repaired,
  }));
  const countOf = (f: PersonFilter) => (f === 'all' ? plan.persons.length : plan.persons.filter((p) => p.status === f).length);

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
      repaired: fmt(plan.review.filter((r) => r.repaired).length),
      numberChanges: fmt(plan.counts.numberChanges),
    },
    repairedCount: plan.review.filter((r) => r.repaired).length,
    totalPersons: plan.persons.length,
    totalPersonsText: fmt(plan.persons.length),
    totalReviewText: fmt(plan.review.length),
    filters: PERSON_FILTERS.map((f) => ({
      status: f,
      label: t(`ingestFlow.preview.filter.${statusKey(f)}`),
      count: fmt(countOf(f)),
      href: previewHref(job.id, { page: 1, status: f, rpage: review.page }, {}, '#persons'),
      current: f === place.status,
    })),
    numberChangesHref: previewHref(job.id, { page: 1, status: 'number-change', rpage: review.page }, {}, '#persons'),
    persons: personRows,
    personsPager: { ...persons, text: t('ingestFlow.preview.pageOf', { page: fmt(persons.page), pages: fmt(persons.pages), total: fmt(persons.total), from: fmt(persons.from), to: fmt(persons.to) }) },
    review: reviewRows,
    reviewPager: { ...review, text: t('ingestFlow.preview.reviewPageOf', { page: fmt(review.page), pages: fmt(review.pages), total: fmt(review.total), from: fmt(review.from), to: fmt(review.to) }) },
    place: here,
    /** Where the page's choices are saved; the redirect comes back to this same place. */
    selectionAction: `/office/ingest/${job.id}/selection${previewHref(job.id, here).slice(`/office/ingest/${job.id}`.length)}`,
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
  };
}
