import { sql, type Kysely } from 'kysely';

/**
 * The custody vault (issue 5): wrapped keys, the persons whose numbers are
 * held, and the reveal limit's bookkeeping.
 *
 * P3: no table here has a column for a My Number. A number is only ever in
 * the vault location (AES-256-GCM under the token); the database knows the
 * token, names and a keyed blind index (HMAC with a per-company key that is
 * itself wrapped by the office key, so the index cannot be brute-forced over
 * the 10^11 possible numbers without a key holder's passphrase: P4).
 *
 * `persons.state` is text without a CHECK (as drops.state): retention adds its
 * own intermediate states without rebuilding the table on SQLite.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('data_keys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('company_id', 'text', (c) => c.notNull().references('companies.id'))
    .addColumn('cohort', 'text', (c) => c.notNull())
    // null once destroyed: the cryptographic erase of the cohort (design §3, P5).
    .addColumn('wrapped_key', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('destroyed_at', 'text')
    .execute();
  // One live key per (company, cohort); concurrent ingests agree on it through
  // this index (insert … on conflict do nothing, then read). Literal predicate
  // so PostgreSQL can match an ON CONFLICT target to it.
  await db.schema
    .createIndex('data_keys_live')
    .unique()
    .on('data_keys')
    .columns(['company_id', 'cohort'])
    .where(sql<boolean>`destroyed_at is null`)
    .execute();

  await db.schema
    .createTable('index_keys')
    .addColumn('company_id', 'text', (c) => c.primaryKey().references('companies.id'))
    .addColumn('wrapped_key', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('persons')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('company_id', 'text', (c) => c.notNull().references('companies.id'))
    .addColumn('token', 'text', (c) => c.notNull().unique())
    .addColumn('data_key_id', 'text', (c) => c.notNull().references('data_keys.id'))
    .addColumn('number_index', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('furigana', 'text')
    .addColumn('employee_code', 'text')
    .addColumn('relation', 'text', (c) => c.notNull())
    .addColumn('employee_person_id', 'text', (c) => c.references('persons.id').onDelete('set null'))
    // No foreign key to drops: the drops schema belongs to its own domain, and
    // a drop row may be disposed of on its own schedule.
    .addColumn('source_drop_id', 'text')
    .addColumn('source_sheet', 'text')
    .addColumn('source_row', 'integer')
    .addColumn('cohort', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('persons_number_index').on('persons').columns(['company_id', 'number_index']).execute();
  await db.schema.createIndex('persons_employee_code').on('persons').columns(['company_id', 'employee_code']).execute();
  await db.schema.createIndex('persons_company_name').on('persons').columns(['company_id', 'name']).execute();
  await db.schema.createIndex('persons_employee_person').on('persons').column('employee_person_id').execute();
  await db.schema.createIndex('persons_data_key').on('persons').column('data_key_id').execute();
  await db.schema.createIndex('persons_source_drop').on('persons').column('source_drop_id').execute();

  await db.schema
    .createTable('reveal_events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    // Who and when only: whose number and why are in the audit trail. Rows
    // older than the window are pruned as new ones are written.
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('reveal_events_user_at').on('reveal_events').columns(['user_id', 'at']).execute();

  await db.schema
    .createTable('reveal_blocks')
    .addColumn('user_id', 'text', (c) => c.primaryKey().references('users.id'))
    .addColumn('blocked_at', 'text', (c) => c.notNull())
    .addColumn('alerted_at', 'text')
    .addColumn('lifted_at', 'text')
    .addColumn('lifted_by', 'text', (c) => c.references('users.id'))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('reveal_blocks').execute();
  await db.schema.dropTable('reveal_events').execute();
  await db.schema.dropTable('persons').execute();
  await db.schema.dropTable('index_keys').execute();
  await db.schema.dropTable('data_keys').execute();
}
