import type { Kysely } from 'kysely';

/**
 * Records a reseal left behind (issue 14 §3, vault/reseal.ts). When a held
 * person moves into their disposal cohort, the record under the old key is
 * replaced; the old object must then go, every version of it, or the
 * cohort's crypto-erase would not erase that person (the old key stays live
 * for the others). The old tokens are written here in the same transaction
 * that moves the rows, and a row leaves only once its object is verified
 * gone — so a crash or a bucket that refuses the delete is retried, and a
 * disposal batch refuses to claim anything while one of its company's rows
 * is still here. Tokens and ids only (P3).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('vault_retired_records')
    .addColumn('token', 'text', (c) => c.primaryKey())
    .addColumn('company_id', 'text', (c) => c.notNull().references('companies.id'))
    .addColumn('retired_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('vault_retired_records_company').on('vault_retired_records').column('company_id').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('vault_retired_records').execute();
}
