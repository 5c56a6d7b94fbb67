import type { Kysely } from 'kysely';

/**
 * Issue 18: collection straight from the employee. Three tables, none of them
 * holding a My Number (P3):
 *
 * - `collect_requests`: one row per person a client (or the office) asked to
 *   submit. The one-time link is 192 random bits; only its SHA-256 is stored
 *   (`link_hash`), so a database reader cannot open anyone's page. Sending a
 *   submission back rotates the hash and the expiry on the same row (the
 *   employee gets a new link; the old one answers like a random one).
 *   `decline_reason` is what the employee typed, redacted of anything that
 *   looks like a number before it is written (collect/service.ts).
 * - `collect_notices`: the office's 利用目的 text per company, versioned
 *   (a new text is a new row; old versions stay, so an acknowledgement can be
 *   traced to the words the employee saw).
 * - `collect_submissions`: what an employee sent — one OpenPGP message to
 *   the office key, stored in the drops location under a random key; here
 *   only its key, size and SHA-256. `client_ref` is the browser's own id
 *   for the attempt, so a retry after a lost answer is recognised as the
 *   same submission instead of failing on a used link.
 * - `collect_link_throttle`: link guesses per client address, claimed before
 *   each lookup (the login throttle's shape, auth/throttle.ts).
 *
 * `status` is text without a CHECK, like drops.state: later steps (arrival,
 * confirmation) add states without rebuilding the table on SQLite.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('collect_requests')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('company_id', 'text', (c) => c.notNull().references('companies.id'))
    .addColumn('person_name', 'text', (c) => c.notNull())
    .addColumn('employee_code', 'text')
    .addColumn('email', 'text')
    .addColumn('delivery', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('link_hash', 'text', (c) => c.notNull().unique())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('links_issued', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('opened_at', 'text')
    .addColumn('notice_version', 'integer')
    .addColumn('acknowledged_at', 'text')
    .addColumn('submitted_at', 'text')
    .addColumn('declined_at', 'text')
    .addColumn('decline_reason', 'text')
    .addColumn('return_reason', 'text')
    .addColumn('requested_by', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('collect_requests_company').on('collect_requests').columns(['company_id', 'created_at']).execute();

  await db.schema
    .createTable('collect_notices')
    .addColumn('company_id', 'text', (c) => c.notNull().references('companies.id'))
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('written_by', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('collect_notices_pk', ['company_id', 'version'])
    .execute();

  await db.schema
    .createTable('collect_submissions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('request_id', 'text', (c) => c.notNull().references('collect_requests.id'))
    .addColumn('company_id', 'text', (c) => c.notNull().references('companies.id'))
    .addColumn('client_ref', 'text', (c) => c.notNull())
    .addColumn('stored_key', 'text', (c) => c.notNull().unique())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('collect_submissions_request').on('collect_submissions').columns(['request_id', 'created_at']).execute();

  await db.schema
    .createTable('collect_link_throttle')
    .addColumn('ip', 'text', (c) => c.primaryKey())
    .addColumn('failures', 'integer', (c) => c.notNull())
    .addColumn('window_last', 'text', (c) => c.notNull())
    .addColumn('blocked_until', 'text')
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('collect_link_throttle').execute();
  await db.schema.dropTable('collect_submissions').execute();
  await db.schema.dropTable('collect_notices').execute();
  await db.schema.dropTable('collect_requests').execute();
}
