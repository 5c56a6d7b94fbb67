import type { TFunction } from 'i18next';
import { formatSize } from '../drops/receipts.js';
import { formatJst } from '../lib/jst.js';
import { maskNumber as maskValue } from '../mynumber/mask.js';
import { parseErrorParams } from './parse/errors.js';
import type { Relation, ReviewReason } from './parse/types.js';
import type { JobRecord, OfficeDrop } from './repo.js';
import type { ReviewRecord } from './review-repo.js';
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

/** What a drop's page shows of the disposal of its original (server/disposal/). */
export interface DropDisposal {
  sha256: string;
  size: number;
  method: string;
  backend: string;
  verifiedAt: string;
  byUser: string | null;
  byUserName: string | null;
}

export interface DropPageInput {
  drop: OfficeDrop;
  job: JobRecord | null;
  disposal: DropDisposal | null;
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
    lastError: state === 'received' && i.job?.lastError && !i.job.unreadable ? t(i.job.lastError, parseErrorParams(i.job.lastError)) : null,
    // Issue 12: the file could not be read; why, when, how often — and a deliberate "read again" instead of a plain start.
    unreadable:
      state === 'received' && i.job?.unreadable
        ? { reason: t(i.job.lastError ?? 'ingestFlow.errors.failed', parseErrorParams(i.job.lastError ?? '')), atLabel: formatJst(i.job.unreadable.at, lang), count: i.job.unreadable.count }
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
