import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { openDatabase, type OpenDatabase } from '../../server/db/connection.js';
import { migrateToLatest } from '../../server/db/migrate.js';
import { randomId } from '../../server/lib/random.js';
import { containsMyNumber, mayContainMyNumber } from '../../server/log/redact.js';
import { newToken } from '../../server/vault/crypto.js';
import { NumberInPersonRow } from '../../server/vault/person-guard.js';
import { ROWS_PER_STATEMENT } from '../../server/vault/persons-insert.js';
import { insertPersonRows, type NewPersonRow } from '../../server/vault/repo.js';
import { testDatabases, type OpenedTestDatabase } from '../helpers/databases.js';
import { syntheticMyNumbers, variants } from '../helpers/mynumber.js';

const COLUMNS = [
  'id', 'company_id', 'token', 'data_key_id', 'number_index', 'name', 'furigana', 'employee_code', 'relation',
  'employee_person_id', 'source_drop_id', 'source_sheet', 'source_row', 'cohort', 'state', 'created_at', 'number_last4',
] as const;

describe('the digit-count pre-check of the persons guard', () => {
  it('is true whenever containsMyNumber is (every written form), and false for names and codes', () => {
    for (const n of syntheticMyNumbers(40, 3)) {
      for (const v of variants(n)) {
        for (const text of [v, `番号 ${v} です`, `E-${v}`]) {
          expect(containsMyNumber(text)).toBe(true);
          expect(mayContainMyNumber(text)).toBe(true);
        }
      }
    }
    for (const text of ['山田 太郎', 'ヤマダ タロウ', 'E000123', '扶養親族1', '従業員一覧 2025', '12345678901', '１２３４５６７８９０１']) {
      expect(mayContainMyNumber(text)).toBe(false);
      expect(containsMyNumber(text)).toBe(false);
    }
  });
});

describe.each(testDatabases())('insertPersonRows on $name', (target) => {
  let opened: OpenedTestDatabase;
  let conn: OpenDatabase;
  let companyId: string;
  let dataKeyId: string;
  const now = '2026-01-05T09:00:00.000Z';

  beforeAll(async () => {
    opened = await target.open();
    conn = await openDatabase(opened.config);
    await migrateToLatest(conn.db);
    companyId = randomId();
    dataKeyId = randomId();
    await conn.db
      .insertInto('companies')
      .values({ id: companyId, name: '挿入テスト株式会社', contact_email: 'c@example.jp', status: 'active', access_key_hash: randomId(), access_key_sealed: randomId(), created_at: now, updated_at: now })
      .execute();
    await conn.db.insertInto('data_keys').values({ id: dataKeyId, company_id: companyId, cohort: '2025', wrapped_key: 'wrapped', created_at: now, destroyed_at: null }).execute();
  });
  afterAll(async () => {
    await conn?.close();
    await opened?.cleanup();
  });

  function row(over: Partial<NewPersonRow> = {}): NewPersonRow {
    return {
      id: randomId(), company_id: companyId, token: newToken(), data_key_id: dataKeyId, number_index: randomId(32),
      name: '山田 太郎', furigana: 'ヤマダ タロウ', employee_code: 'E000001', relation: '本人', employee_person_id: null,
      source_drop_id: null, source_sheet: '従業員一覧', source_row: 2, cohort: '2025', state: 'held', created_at: now, number_last4: '0123',
      ...over,
    };
  }

  async function countRows(): Promise<number> {
    const { n } = await conn.db.selectFrom('persons').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return Number(n);
  }

  it('inserts exactly the rows given, more than one statement of them, dependents first in the input', async () => {
    const employees: NewPersonRow[] = [];
    const dependents: NewPersonRow[] = [];
    const odd = ['O\'Brien "Jr." \\ 😀', '髙橋　𠮷野', 'tab\there\nnewline', '', 'ｶﾀｶﾅ ﾃｽﾄ'];
    const count = ROWS_PER_STATEMENT + 700;
    for (let i = 0; i < count; i++) {
      employees.push(row({
        name: `従業員 ${i} ${odd[i % odd.length]}`,
        furigana: i % 4 === 0 ? null : `ジュウギョウイン ${i}`,
        employee_code: i % 5 === 0 ? undefined : `E${String(i).padStart(6, '0')}`,
        source_drop_id: i % 2 ? 'drop-1' : null,
        source_row: i % 7 === 0 ? null : i + 2,
        // 12+ digits with a wrong check digit is not a My Number and is stored as is.
        source_sheet: i === 3 ? '電話 0312345678 口座 123456789012' : '従業員一覧',
      }));
    }
    // Every dependent comes before its employee in the input, over a statement's worth of rows.
    for (let i = 0; i < count; i++) {
      dependents.push(row({ name: `配偶者 ${i}`, relation: '配偶者', employee_person_id: employees[i]!.id, employee_code: employees[i]!.employee_code }));
    }
    const input = [...dependents, ...employees];
    expect(dependents.length).toBeGreaterThan(ROWS_PER_STATEMENT);
    expect(input.length).toBeGreaterThan(ROWS_PER_STATEMENT * 2);
    expect(containsMyNumber(employees[3]!.source_sheet!)).toBe(false);

    const before = await countRows();
    await conn.db.transaction().execute((trx) => insertPersonRows(trx, input));
    expect((await countRows()) - before).toBe(input.length);

    const stored = await conn.db.selectFrom('persons').selectAll().where('company_id', '=', companyId).execute();
    const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
    const expected = input.map((r) => Object.fromEntries(COLUMNS.map((c) => [c, r[c] ?? null]))).sort(byId as never);
    // One comparison of everything (per-field expects take seconds for 11,000 rows).
    expect([...stored].sort(byId)).toEqual(expected);
    expect(typeof stored.find((r) => r.id === employees[1]!.id)!.source_row).toBe('number');
  });

  it('refuses a My Number in a name or furigana (any written form), and a row without a token: nothing is stored', async () => {
    const [n] = syntheticMyNumbers(1, 77);
    const many = Array.from({ length: ROWS_PER_STATEMENT + 10 }, (_, i) => row({ name: `正しい 人 ${i}` }));
    for (const [field, value] of [
      ['name', `番号 ${n!.slice(0, 4)}-${n!.slice(4, 8)}-${n!.slice(8)}`],
      ['furigana', variants(n!)[5]!],
      ['employee_code', n!],
      // The last-four column holds four digits or nothing: the whole number there is refused.
      ['number_last4', n!],
    ] as const) {
      const before = await countRows();
      // The bad row is last: a chunk-by-chunk insert would already have stored the first statement.
      const err = await conn.db
        .transaction()
        .execute((trx) => insertPersonRows(trx, [...many.map((r) => ({ ...r, id: randomId(), token: newToken() })), row({ [field]: value })]))
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NumberInPersonRow);
      expect((err as NumberInPersonRow).field).toBe(field);
      expect((err as Error).message).not.toContain(n!.slice(0, 4));
      expect(await countRows()).toBe(before);
    }
    const before = await countRows();
    await expect(conn.db.transaction().execute((trx) => insertPersonRows(trx, [row(), row({ token: 'not-a-token' })]))).rejects.toThrow(TypeError);
    await expect(conn.db.transaction().execute((trx) => insertPersonRows(trx, [row({ name: { toString: () => 'x' } as never })]))).rejects.toThrow(TypeError);
    expect(await countRows()).toBe(before);
  });

  it('a dependent whose employee is in neither the batch nor the table fails the foreign key, and rolls back', async () => {
    const before = await countRows();
    const rows = [row(), row({ relation: '配偶者', employee_person_id: randomId() })];
    // Not rejects.toThrow(): better-sqlite3's error class may come from another test file's realm (not instanceof Error here).
    const err = await conn.db.transaction().execute((trx) => insertPersonRows(trx, rows)).then(() => null, (e: unknown) => e);
    expect(String((err as Error | null)?.message)).toMatch(/foreign key/i);
    expect(await countRows()).toBe(before);
  });

  it('inserts nothing for no rows', async () => {
    const before = await countRows();
    await insertPersonRows(conn.db, []);
    expect(await countRows()).toBe(before);
  });
});
