import { sql, type Kysely } from 'kysely';

/**
 * Office notices (issue 4, deliverable 5): which drops arrived in which room,
 * the pending e-mail notice per room, and what each office member has seen.
 *
 * Nothing here names a file: the drops domain keeps names and sizes; these
 * rows hold only ids, counts and times, so neither the inbox nor the e-mail
 * built from them can leak what was sent (design §1 step 3).
 *
 * Batching across several app instances lives in the database, not in memory:
 * - at most one *open* notice per company (partial unique index), which
 *   arrivals join with one atomic upsert;
 * - a sender claims a due notice with a conditional UPDATE, so two instances
 *   never send the same one; a claim that is never finished (crash) expires.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('notices')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('company_id', 'text', (c) => c.notNull().references('companies.id'))
    // 1 while arrivals may still join; set to 0 by the claim, never back.
    .addColumn('open', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('drop_count', 'integer', (c) => c.notNull())
    .addColumn('first_at', 'text', (c) => c.notNull())
    .addColumn('last_at', 'text', (c) => c.notNull())
    // When the e-mail may go: first arrival + the batching window (later on retry).
    .addColumn('due_at', 'text', (c) => c.notNull())
    .addColumn('claim_token', 'text')
    .addColumn('claimed_at', 'text')
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('sent_at', 'text')
    .addColumn('recipients', 'integer')
    .execute();
  // Literal predicates (no bound parameters) so that PostgreSQL can match the
  // upsert's ON CONFLICT target to this index.
  await db.schema.createIndex('notices_one_open').unique().on('notices').column('company_id').where(sql<boolean>`open = 1`).execute();
  await db.schema.createIndex('notices_due').on('notices').column('due_at').where(sql<boolean>`sent_at is null`).execute();
  await db.schema.createIndex('notices_recent').on('notices').column('last_at').execute();

  await db.schema
    .createTable('notice_arrivals')
    // Keyed by the drop id, so a repeated call for the same drop counts once.
    // No foreign key to drops: the drops schema belongs to its own domain.
    .addColumn('drop_id', 'text', (c) => c.primaryKey())
    .addColumn('notice_id', 'text', (c) => c.notNull().references('notices.id'))
    .addColumn('company_id', 'text', (c) => c.notNull().references('companies.id'))
    .addColumn('arrived_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('notice_arrivals_notice').on('notice_arrivals').column('notice_id').execute();

  await db.schema
    .createTable('notice_seen')
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('notice_id', 'text', (c) => c.notNull().references('notices.id'))
    // The notice's drop_count when this person last opened the inbox: arrivals
    // that join the notice later count as unseen again.
    .addColumn('seen_count', 'integer', (c) => c.notNull())
    .addColumn('seen_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('notice_seen_pk', ['user_id', 'notice_id'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('notice_seen').execute();
  await db.schema.dropTable('notice_arrivals').execute();
  await db.schema.dropTable('notices').execute();
}
