import type { Kysely } from 'kysely';

/**
 * The last four digits of each held number (issue 11, item 7), so the list of
 * persons can tell two people of the same name apart (`**** **** 1234`)
 * without opening the vault.
 *
 * Why this is not a My Number in the database (P3): four of twelve digits,
 * the last being the check digit, leave 10^8 candidates for the rest; the
 * only thing that could test a candidate is the blind index, whose key is
 * wrapped by the office key. The preview and the review pages already show
 * exactly these four digits. Null for rows ingested before this migration
 * (their number is in the vault only; the list says "not recorded").
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('persons').addColumn('number_last4', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('persons').dropColumn('number_last4').execute();
}
