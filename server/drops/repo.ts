import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/schema.js';
import type { DropKind, DropState } from '../db/tables/drops.js';

/** Queries for drops. Plain objects out; every read is scoped to one company (P7). */
type Db = Kysely<Database> | Transaction<Database>;

export interface DropRecord {
  id: string;
  companyId: string;
  uploadedBy: string;
  fileName: string;
  storedKey: string;
  size: number;
  sha256: string;
  kind: DropKind;
  state: DropState;
  createdAt: string;
}

const COLUMNS = ['id', 'company_id', 'uploaded_by', 'file_name', 'stored_key', 'size', 'sha256', 'kind', 'state', 'created_at'] as const;

export type DropRow = Pick<Database['drops'], (typeof COLUMNS)[number]>;

/** One drops row as the domain sees it (also used by the office's ingest pages). */
export function toRecord(r: DropRow): DropRecord {
  return {
    id: r.id,
    companyId: r.company_id,
    uploadedBy: r.uploaded_by,
    fileName: r.file_name,
    storedKey: r.stored_key,
    size: Number(r.size),
    sha256: r.sha256,
    kind: r.kind,
    state: r.state,
    createdAt: r.created_at,
  };
}

export async function insertDrops(db: Db, drops: readonly DropRecord[]): Promise<void> {
  if (drops.length === 0) return;
  await db
    .insertInto('drops')
    .values(
      drops.map((d) => ({
        id: d.id,
        company_id: d.companyId,
        uploaded_by: d.uploadedBy,
        file_name: d.fileName,
        stored_key: d.storedKey,
        size: d.size,
        sha256: d.sha256,
        kind: d.kind,
        state: d.state,
        created_at: d.createdAt,
        updated_at: d.createdAt,
      })),
    )
    .execute();
}

/** Newest first. */
export async function listCompanyDrops(db: Db, companyId: string, limit: number): Promise<DropRecord[]> {
  const rows = await db
    .selectFrom('drops')
    .select(COLUMNS)
    .where('company_id', '=', companyId)
    .orderBy('created_at', 'desc')
    .orderBy('id')
    .limit(limit)
    .execute();
  return rows.map(toRecord);
}

/** One drop of this company, or null — also for another company's id, so both answer alike. */
export async function findCompanyDrop(db: Db, companyId: string, id: string): Promise<DropRecord | null> {
  const row = await db.selectFrom('drops').select(COLUMNS).where('id', '=', id).where('company_id', '=', companyId).executeTakeFirst();
  return row ? toRecord(row) : null;
}

/*
 * A drop's state changes. The drops domain owns every write to `drops`; other
 * domains (ingest today, retention next) move a drop only through these.
 * Each is conditional on the state it leaves, so of two processes exactly one
 * moves it; false when the drop was not in that state.
 */

/** received → ingested: its numbers are in the vault (ingest commit). */
export function markIngested(db: Db, id: string, now: string): Promise<boolean> {
  return moveState(db, id, 'received', 'ingested', now);
}

/** ingested → disposed: its original was destroyed and verified (server/disposal/). */
export function markDisposed(db: Db, id: string, now: string): Promise<boolean> {
  return moveState(db, id, 'ingested', 'disposed', now);
}

async function moveState(db: Db, id: string, from: DropState, to: DropState, now: string): Promise<boolean> {
  const r = await db.updateTable('drops').set({ state: to, updated_at: now }).where('id', '=', id).where('state', '=', from).executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/**
 * Whether a storage key in the drops location belongs to something kinko
 * holds (orphan sweep): a drop, a collected submission (collect/, 'c…') or its
 * kept identity images ('i…'). Those two live in the same location; without
 * them here the sweep deleted every received submission an hour old with no
 * disposal record. The tables are read directly, not through collect/ (which
 * builds on drops/: importing it would be a cycle).
 */
export async function storedKeyKnown(db: Db, storedKey: string): Promise<boolean> {
  const row = await db.selectFrom('drops').select('id').where('stored_key', '=', storedKey).executeTakeFirst();
  if (row) return true;
  const sub = await db.selectFrom('collect_submissions').select('id').where('stored_key', '=', storedKey).executeTakeFirst();
  if (sub) return true;
  const kept = await db.selectFrom('collect_kept_images').select('id').where('stored_key', '=', storedKey).executeTakeFirst();
  return !!kept;
}
