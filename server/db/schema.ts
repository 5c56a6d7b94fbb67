/**
 * The office database as Kysely sees it: one interface per table, gathered in
 * `Database`. Each migration that adds a table adds its interface here and one
 * line to `Database`; the migration files themselves use `Kysely<any>` because
 * they describe the schema as it was when they were written.
 *
 * Portability rules (the same migrations and queries run on SQLite and
 * PostgreSQL, so columns use only types that mean the same on both):
 *
 * - Ids are text: random, unguessable (e.g. 128-bit base64url), created by the
 *   app. Never auto-increment: sequential ids leak how many drops/clients the
 *   office has and invite guessing other companies' records.
 * - Timestamps are ISO-8601 UTC text with milliseconds and a `Z`
 *   (`new Date().toISOString()`). Both dialects sort and compare them as
 *   strings correctly, and there is no time-zone conversion to get wrong.
 * - Booleans are `integer` 0/1 (SQLite has no boolean; pg would return a JS
 *   boolean on one dialect and a number on the other). Type them `0 | 1`.
 * - Small counters (attempts, counts per request) are `integer` (32-bit on PG).
 * - Byte sizes and anything that may pass 2^31 (a drop's total size, a
 *   storage usage sum) are `bigint` columns typed `number` here. SQLite
 *   INTEGER is 64-bit already; on PostgreSQL the connection (connection.ts)
 *   parses int8 to a JS number, refusing values beyond 2^53, which no byte
 *   count here will reach. That also makes `count(*)` a number on both
 *   dialects instead of a string on PG. Never store sizes as double (silent
 *   rounding) or text (sorts wrongly).
 * - Money, if ever needed, is integer yen. No `numeric`, no JSON columns, no
 *   arrays, no enums: store enum values as text with a CHECK where it matters.
 */
import type { ColumnType, Insertable, Selectable, Updateable } from 'kysely';
import type { AccountTables } from './tables/accounts.js';
import type { AuditTables } from './tables/audit.js';
import type { DisposalTables } from './tables/disposal.js';
import type { DisposalBatchTables } from './tables/disposal-batches.js';
import type { DirectorAlertTables } from './tables/director-alerts.js';
import type { DropTables } from './tables/drops.js';
import type { CollectTables } from './tables/collect.js';
import type { IngestTables } from './tables/ingest.js';
import type { InstanceTables } from './tables/instances.js';
import type { NotifyTables } from './tables/notify.js';
import type { RetentionTables } from './tables/retention.js';
import type { ThrottleTables } from './tables/throttle.js';
import type { VaultTables } from './tables/vault.js';
import type { BundleTables, YearEndTables } from './tables/year-end.js';
import type { OversightTables } from './tables/oversight.js';

/** Small facts about this installation, e.g. `install_id`, and migration smoke tests. */
export interface KinkoMetaTable {
  key: string;
  value: string;
}

/** ISO-8601 UTC text; see the rules above. */
export type Timestamp = ColumnType<string, string, string>;

/** Boolean stored as integer 0/1; see the rules above. */
export type Flag = ColumnType<0 | 1, 0 | 1, 0 | 1>;

export interface Database extends AccountTables, AuditTables, DropTables, NotifyTables, IngestTables {
  kinko_meta: KinkoMetaTable;
}

/** The vault's tables (0009), merged into Database above (one line, so domains added in parallel never touch the same line). */
export interface Database extends VaultTables {}

/** Director alerts on the console (0011). */
export interface Database extends DirectorAlertTables {}
/** Attempt-claiming throttles (0014), merged the same way. */
export interface Database extends ThrottleTables {}
/** Disposal records (0015), merged the same way. */
export interface Database extends DisposalTables {}
/** Retention rules and per-person retention facts (0019). */
export interface Database extends RetentionTables {}
/** Running instances and their heartbeat (0016), merged the same way. */
export interface Database extends InstanceTables {}
/** Disposal batches and certificates (0020). */
export interface Database extends DisposalBatchTables {}
/** Year-end pay-data drops and staff's match resolutions (0023). */
export interface Database extends YearEndTables {}
/** Sealed year-end bundles and client OpenPGP keys (0024). */
export interface Database extends BundleTables {}
/** Collection straight from the employee (0026), merged the same way. */
export interface Database extends CollectTables {}
/** Safeguards, 再委託 許諾 and signed custody reports (0029). */
export interface Database extends OversightTables {}

export type KinkoMeta = Selectable<KinkoMetaTable>;
export type NewKinkoMeta = Insertable<KinkoMetaTable>;
export type KinkoMetaUpdate = Updateable<KinkoMetaTable>;
