import { sql, type Kysely } from 'kysely';

/**
 * Disposal batches and their certificates (issue 14 §5–6).
 *
 * `disposal_batches`: one approved disposal of some persons of one company.
 * Its `state` is the step it has durably reached, so a crash at any step
 * resumes from there (P9): awaiting-confirmation (a second key holder must
 * confirm) → approved → keys-destroyed → done. Its disposals record (0015) has subject kind
 * 'cohort' and subject id = the batch id, written only after every object
 * was verified gone. `key_ids` lists the data
 * keys the batch destroyed (space-separated ids; no JSON columns, schema.ts).
 * Never a number, never a name: persons are ids (P3, retention-and-breach §3).
 *
 * `disposal_batch_persons`: who is in a batch, with the vault token and data
 * key of their record at approval (the record's object key, for the purge).
 *
 * `disposal_certificates`: the signed PDF of a finished batch, one per copy
 * (client: names; office: tokens), base64 text with its armored detached
 * signature. Issued only after the batch is done (verified).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('disposal_batches')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('company_id', 'text', (c) => c.notNull().references('companies.id'))
    .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('awaiting-confirmation', 'approved', 'keys-destroyed', 'done')`))
    .addColumn('reason_code', 'text', (c) => c.notNull())
    .addColumn('reason_text', 'text', (c) => c.notNull())
    .addColumn('approved_by', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('approved_at', 'text', (c) => c.notNull())
    .addColumn('confirmed_by', 'text', (c) => c.references('users.id'))
    .addColumn('confirmed_at', 'text')
    .addColumn('method', 'text', (c) => c.check(sql`method in ('crypto-erase', 'purge')`))
    .addColumn('key_ids', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('keys_destroyed_at', 'text')
    .addColumn('decrypt_failed_at', 'text')
    .addColumn('done_at', 'text')
    .execute();
  await db.schema.createIndex('disposal_batches_company').on('disposal_batches').columns(['company_id', 'approved_at']).execute();

  await db.schema
    .createTable('disposal_batch_persons')
    .addColumn('batch_id', 'text', (c) => c.notNull().references('disposal_batches.id'))
    // unique: a person is in at most one batch, so a second approval of the same people is refused by the database too
    .addColumn('person_id', 'text', (c) => c.notNull().unique().references('persons.id'))
    .addColumn('token', 'text', (c) => c.notNull())
    .addColumn('data_key_id', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('disposal_batch_persons_batch').on('disposal_batch_persons').columns(['batch_id']).execute();

  await db.schema
    .createTable('disposal_certificates')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('batch_id', 'text', (c) => c.notNull().references('disposal_batches.id'))
    .addColumn('company_id', 'text', (c) => c.notNull().references('companies.id'))
    .addColumn('copy', 'text', (c) => c.notNull().check(sql`copy in ('client', 'office')`))
    .addColumn('pdf_base64', 'text', (c) => c.notNull())
    .addColumn('signature', 'text', (c) => c.notNull())
    .addColumn('issued_by', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('issued_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('disposal_certificates_copy', ['batch_id', 'copy'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('disposal_certificates').execute();
  await db.schema.dropTable('disposal_batch_persons').execute();
  await db.schema.dropTable('disposal_batches').execute();
}
