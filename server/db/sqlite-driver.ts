/**
 * The embedded database's Kysely driver: one writer connection and one
 * read-only connection on the same SQLite file (issue 12, the stall).
 *
 * Kysely's own SqliteDriver hands out a single connection under a mutex, so a
 * transaction holds it from BEGIN to COMMIT. An ingest confirming 83,000
 * persons commits in one transaction for about four seconds; meanwhile every
 * other query waited — the `/healthz` probe (which would then report the
 * database as failing, and a load balancer take the instance out) and every
 * signed-in page, because each looks up its session.
 *
 * WAL lets readers run beside the writer, each seeing the last committed
 * state. So here:
 * - a transaction takes the writer under the mutex, as before, and all of its
 *   statements run there (reads included: it must see its own writes);
 * - a statement outside a transaction that SQLite reports as read-only
 *   (`Statement.readonly`) runs on the reader connection, without waiting for
 *   the mutex — the same isolation a PostgreSQL pool gives (read committed);
 * - any other statement outside a transaction (a write, a PRAGMA, which is per
 *   connection) waits for the mutex and runs on the writer, alone.
 * The writer is still single (SQLite allows one), so writes queue as before;
 * reads no longer queue behind them. better-sqlite3 runs each statement
 * synchronously, so long work must still yield between statements (the
 * persons insert does).
 *
 * One extension: eachRow() — one statement text run once per parameter list,
 * prepared once (see there).
 */
import type SqliteDatabase from 'better-sqlite3';
import {
  CompiledQuery,
  SelectQueryNode,
  type DatabaseConnection,
  type Driver,
  type QueryCompiler,
  type QueryResult,
} from 'kysely';

type Raw = SqliteDatabase.Database;

/**
 * One INSERT (or other write) run once per parameter list, prepared once,
 * through `trx.executeQuery(eachRow(text, lists))` on SQLite only (the
 * driver below runs it; on any other it fails for want of parameters).
 *
 * Why not one multi-row statement: inside a transaction SQLite keeps a
 * statement journal for every statement that writes several rows and may
 * fail half-way (a UNIQUE or foreign key check), a copy of each page the
 * statement changes — for a persons insert of 1,000 rows into eight indexes
 * that is megabytes per statement, spilled to a temp file (/var/tmp/etilqs_*:
 * 62–135 MB in 33,000–79,000 pwrites per 24,587-person ingest, most of the
 * ingest bench's slowdown in issue 13). A one-row statement needs none: if it
 * fails, only it is undone. Running the prepared statement per row costs
 * better-sqlite3 a bind and a step, no text to build or parse.
 */
export function eachRow(text: string, parameterLists: ReadonlyArray<readonly unknown[]>): CompiledQuery {
  const query: EachRowQuery = { ...CompiledQuery.raw(text, []), [EACH_ROW]: parameterLists };
  return query;
}

const EACH_ROW = Symbol('eachRow');
interface EachRowQuery extends CompiledQuery {
  readonly [EACH_ROW]: ReadonlyArray<readonly unknown[]>;
}

/** How many distinct statement texts keep their "read-only?" answer (the rest are asked again). */
const READONLY_CACHE = 1000;

/**
 * Prepared statements kept per connection, by text. better-sqlite3's
 * prepare() parses and plans the SQL every time — a third of a bulk read of
 * 15,834 numbers (one row lookup each) went to preparing the same two texts
 * again (bench/README "Year-end bundles"). A statement is reused only by run()
 * below, which runs it to the end synchronously (all() / run()), so no two
 * uses overlap; stream() prepares its own, as an iterating statement is busy
 * until its caller finishes. Kysely writes `IN (?, ?, …)` with one `?` per
 * value, so texts vary: past STATEMENT_CACHE the cache starts again.
 */
const STATEMENT_CACHE = 500;

class Statements {
  readonly #byText = new Map<string, SqliteDatabase.Statement>();

  constructor(private readonly db: Raw) {}

  get(text: string): SqliteDatabase.Statement {
    let s = this.#byText.get(text);
    if (!s) {
      s = this.db.prepare(text);
      if (this.#byText.size >= STATEMENT_CACHE) this.#byText.clear();
      this.#byText.set(text, s);
    }
    return s;
  }
}

export class ReadWriteSqliteDriver implements Driver {
  readonly #writer: Raw;
  readonly #reader: Raw;
  readonly #mutex = new Mutex();
  readonly #readonlyBySql = new Map<string, boolean>();
  readonly #writerStatements: Statements;
  readonly #readerStatements: Statements;

  constructor(writer: Raw, reader: Raw) {
    this.#writer = writer;
    this.#reader = reader;
    this.#writerStatements = new Statements(writer);
    this.#readerStatements = new Statements(reader);
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    return new RoutedConnection(this);
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    const c = connection as RoutedConnection;
    await this.#mutex.lock();
    try {
      this.#writer.exec('begin');
    } catch (err) {
      this.#mutex.unlock();
      throw err;
    }
    c.inTransaction = true;
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await this.#end(connection as RoutedConnection, 'commit');
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await this.#end(connection as RoutedConnection, 'rollback');
  }

  async savepoint(connection: DatabaseConnection, name: string, _compile: QueryCompiler['compileQuery']): Promise<void> {
    await this.#savepointCommand(connection, 'savepoint', name);
  }

  async rollbackToSavepoint(connection: DatabaseConnection, name: string, _compile: QueryCompiler['compileQuery']): Promise<void> {
    await this.#savepointCommand(connection, 'rollback to', name);
  }

  async releaseSavepoint(connection: DatabaseConnection, name: string, _compile: QueryCompiler['compileQuery']): Promise<void> {
    await this.#savepointCommand(connection, 'release', name);
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    const c = connection as RoutedConnection;
    // A transaction whose COMMIT/ROLLBACK never ran (cannot happen through
    // Kysely's transaction(), which always ends one) must not keep the writer.
    if (c.inTransaction) {
      c.inTransaction = false;
      if (this.#writer.inTransaction) this.#writer.exec('rollback');
      this.#mutex.unlock();
    }
  }

  async destroy(): Promise<void> {
    if (this.#reader.open) this.#reader.close();
    if (this.#writer.open) this.#writer.close();
  }

  /** Runs one statement where it belongs (see the file comment). */
  async execute<R>(c: RoutedConnection, query: CompiledQuery): Promise<QueryResult<R>> {
    if (c.inTransaction) return run<R>(this.#writerStatements, query);
    if (this.#readOnly(query.sql)) return run<R>(this.#readerStatements, query);
    await this.#mutex.lock();
    try {
      return run<R>(this.#writerStatements, query);
    } finally {
      this.#mutex.unlock();
    }
  }

  async *stream<R>(c: RoutedConnection, query: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    if (!SelectQueryNode.is(query.query)) throw new Error('the SQLite driver streams select queries only');
    // Outside a transaction a select streams from the reader; it never holds the writer while the caller iterates.
    const db = c.inTransaction ? this.#writer : this.#reader;
    for (const row of db.prepare(query.sql).iterate(query.parameters as unknown[])) yield { rows: [row as R] };
  }

  #readOnly(text: string): boolean {
    let known = this.#readonlyBySql.get(text);
    if (known === undefined) {
      // PRAGMAs report read-only but are settings of one connection; they go to the writer.
      known = !/^\s*pragma\b/i.test(text) && this.#readerStatements.get(text).readonly;
      if (this.#readonlyBySql.size >= READONLY_CACHE) this.#readonlyBySql.clear();
      this.#readonlyBySql.set(text, known);
    }
    return known;
  }

  async #end(c: RoutedConnection, command: 'commit' | 'rollback'): Promise<void> {
    if (!c.inTransaction) throw new Error(`${command} outside a transaction`);
    try {
      this.#writer.exec(command);
    } finally {
      // A failed COMMIT (e.g. SQLITE_FULL) leaves SQLite's transaction open: roll it back before letting others in.
      if (this.#writer.inTransaction) {
        try {
          this.#writer.exec('rollback');
        } catch {
          // nothing more can be done on this connection; the error above is what the caller sees
        }
      }
      c.inTransaction = false;
      this.#mutex.unlock();
    }
  }

  async #savepointCommand(connection: DatabaseConnection, command: string, name: string): Promise<void> {
    const c = connection as RoutedConnection;
    if (!c.inTransaction) throw new Error(`${command} outside a transaction`);
    // Savepoint names come from Kysely's caller code; quoted as identifiers.
    this.#writer.exec(`${command} "${name.replaceAll('"', '""')}"`);
  }
}

class RoutedConnection implements DatabaseConnection {
  inTransaction = false;
  readonly #driver: ReadWriteSqliteDriver;

  constructor(driver: ReadWriteSqliteDriver) {
    this.#driver = driver;
  }

  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    return this.#driver.execute<R>(this, query);
  }

  streamQuery<R>(query: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    return this.#driver.stream<R>(this, query);
  }
}

function run<R>(statements: Statements, query: CompiledQuery): QueryResult<R> {
  const stmt = statements.get(query.sql);
  if (EACH_ROW in query) {
    if (stmt.reader) throw new Error('eachRow runs writes only');
    let changes = 0;
    for (const params of (query as EachRowQuery)[EACH_ROW]) changes += stmt.run(params as unknown[]).changes;
    return { numAffectedRows: BigInt(changes), rows: [] };
  }
  const params = query.parameters as unknown[];
  if (stmt.reader) return { rows: stmt.all(params) as R[] };
  const { changes, lastInsertRowid } = stmt.run(params);
  return {
    numAffectedRows: changes !== undefined && changes !== null ? BigInt(changes) : undefined,
    insertId: lastInsertRowid !== undefined && lastInsertRowid !== null ? BigInt(lastInsertRowid) : undefined,
    rows: [],
  };
}

/** First come, first served: each waiter is let in by the one before it. */
class Mutex {
  #tail: Promise<void> = Promise.resolve();
  #release: (() => void) | undefined;

  async lock(): Promise<void> {
    const previous = this.#tail;
    let release!: () => void;
    this.#tail = new Promise<void>((resolve) => (release = resolve));
    await previous;
    this.#release = release;
  }

  unlock(): void {
    const release = this.#release;
    this.#release = undefined;
    release?.();
  }
}
