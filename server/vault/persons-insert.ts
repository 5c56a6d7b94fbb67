import { sql, type Insertable, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../db/schema.js';
import { eachRow } from '../db/sqlite-driver.js';
import type { PersonsTable } from '../db/tables/vault.js';

/**
 * The bulk insert of already checked and ordered persons rows (repo.ts
 * insertPersonRows runs person-guard.ts first). An ingest commits ~25,000
 * rows in one transaction; a Kysely multi-row VALUES statement of 16 × 500
 * parameters per chunk spent most of its time building, compiling and (on
 * SQLite, which prepares every statement anew) parsing those statements.
 * Here:
 *   PostgreSQL:  each chunk of rows is one JSON parameter of one short
 *                statement, `insert … select … from json_populate_recordset(null::persons, $1::json)`;
 *   SQLite:      one prepared one-row INSERT run per row, a chunk of rows
 *                per call (db/sqlite-driver.ts eachRow: a statement writing
 *                many rows inside a transaction makes SQLite keep a statement
 *                journal of every page it changes, which cost more than the
 *                insert itself).
 * Rows go in array order, chunk after chunk, so the caller's order
 * (employees before dependents) holds across chunks; foreign keys are checked
 * per statement on both.
 */

/** Every column of persons, in one fixed order; the type check below fails if a column is added to the table but not here. */
const COLUMNS = [
  'id', 'company_id', 'token', 'data_key_id', 'number_index', 'name', 'furigana', 'employee_code', 'relation',
  'employee_person_id', 'source_drop_id', 'source_sheet', 'source_row', 'cohort', 'state', 'created_at', 'number_last4',
] as const satisfies ReadonlyArray<keyof PersonsTable>;
type Missing = Exclude<keyof PersonsTable, (typeof COLUMNS)[number]>;
const everyColumn: [Missing] extends [never] ? true : Missing = true;
void everyColumn;

/**
 * Rows per statement on PostgreSQL (whose statements run on its server):
 * bounds the JSON text (~1.5 MB for 5,000 rows). On SQLite every chunk runs
 * synchronously on the web process, so its chunk is kept short and the event
 * loop turns between chunks. Measured for 83,333 rows in one transaction
 * (2 cores, load 3), as multi-row statements: 5,000 rows per statement
 * 1.16–1.27 s with the event loop held up to 141–160 ms; 1,000 rows
 * 1.49–1.61 s, held up to 76–82 ms. One-row statements, 1,000 rows per
 * chunk (issue 13, 3 × 24,587 rows on kinko's schema): 11–14 ms per chunk
 * against 19–31 ms for a 1,000-row statement, and no statement journal.
 */
export const ROWS_PER_STATEMENT = 5000;
const ROWS_PER_SQLITE_CHUNK = 1000;

const COLUMN_LIST = sql.raw(COLUMNS.join(', '));
const SQLITE_INSERT = `insert into persons (${COLUMNS.join(', ')}) values (${COLUMNS.map(() => '?').join(', ')})`;

type Cell = string | number | null;
/** ES2024 string methods (Node ≥ 20), not in the project's lib setting. */
interface WellFormed {
  isWellFormed(): boolean;
  toWellFormed(): string;
}

/**
 * What a row's value may be, as the drivers would bind it: text, a finite
 * number, or null/absent (the column's NULL; persons has no defaults). Anything
 * else (an object, a boolean, a Date) is refused instead of being turned into JSON.
 */
function cell(v: unknown, wellFormed: boolean): Cell {
  if (v === undefined || v === null) return null;
  if (typeof v === 'string') {
    // pg sends text as UTF-8 with lone surrogates replaced (U+FFFD); a lone
    // surrogate escape in JSON would be refused by PostgreSQL instead. On
    // SQLite the text is bound as any other parameter is: leave it.
    const text = v as string & WellFormed;
    return wellFormed && !text.isWellFormed() ? text.toWellFormed() : v;
  }
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  throw new TypeError('a persons column must be text, a finite number or null');
}

export async function insertPersonChunks(
  db: Kysely<Database> | Transaction<Database>,
  rows: readonly Insertable<PersonsTable>[],
  postgres: boolean,
): Promise<void> {
  const step = postgres ? ROWS_PER_STATEMENT : ROWS_PER_SQLITE_CHUNK;
  for (let i = 0; i < rows.length; i += step) {
    // The event loop turns between chunks (SQLite's run synchronously):
    // work that waits on it goes on meanwhile — an ingest's vault records,
    // written beside this insert by the packed store's writer thread.
    if (i > 0) await new Promise((resolve) => setImmediate(resolve));
    const chunk = rows.slice(i, i + step);
    if (postgres) {
      const objects = chunk.map((r) => {
        const o: Record<string, Cell> = {};
        for (const c of COLUMNS) o[c] = cell(r[c], true);
        return o;
      });
      await sql`insert into persons (${COLUMN_LIST}) select ${COLUMN_LIST} from json_populate_recordset(null::persons, ${JSON.stringify(objects)}::json)`.execute(db);
    } else {
      await db.executeQuery(eachRow(SQLITE_INSERT, chunk.map((r) => COLUMNS.map((c) => cell(r[c], false)))));
    }
  }
}
