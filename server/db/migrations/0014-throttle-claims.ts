import { sql, type Kysely } from 'kysely';

/**
 * Throttles that claim an attempt before it is evaluated (issue 12 items 3–4).
 *
 * Login: the counters that decide a lock now live in the row they lock, so
 * one conditional UPDATE (users) or upsert (login_ip_throttle) counts an
 * attempt and checks the limit at once — parallel bursts can no longer all
 * read "not locked" and then all be evaluated.
 *   users.fail_window_count / fail_window_last: failures of the current run
 *     (a run ends after a quiet period of limits.login.accountWindowMs);
 *   login_ip_throttle: the same per client address, with its block. It
 *     replaces ip_blocks (a block without the count it came from).
 *
 * Key passphrase: the same shape per key holder (key_unlock_throttle), which
 * is the lock itself. Each lock is announced as a director alert
 * (director_alerts, 0011: kinds 'key-lock-temporary' / 'key-lock-hard'), which
 * records honestly whether its e-mail went out.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('users').addColumn('fail_window_count', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('users').addColumn('fail_window_last', 'text').execute();

  await db.schema
    .createTable('login_ip_throttle')
    .addColumn('ip', 'text', (c) => c.primaryKey())
    .addColumn('failures', 'integer', (c) => c.notNull())
    .addColumn('window_last', 'text', (c) => c.notNull())
    .addColumn('blocked_until', 'text')
    .execute();
  await db.schema.dropTable('ip_blocks').execute();

  await db.schema
    .createTable('key_unlock_throttle')
    .addColumn('user_id', 'text', (c) => c.primaryKey().references('users.id').onDelete('cascade'))
    .addColumn('failed_since_success', 'integer', (c) => c.notNull())
    .addColumn('window_count', 'integer', (c) => c.notNull())
    .addColumn('window_last', 'text')
    .addColumn('locked_until', 'text')
    .addColumn('hard_locked', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('key_unlock_throttle').execute();
  await db.schema.createTable('ip_blocks').addColumn('ip', 'text', (c) => c.primaryKey()).addColumn('until', 'text', (c) => c.notNull()).execute();
  await db.schema.dropTable('login_ip_throttle').execute();
  await db.schema.alterTable('users').dropColumn('fail_window_last').execute();
  await db.schema.alterTable('users').dropColumn('fail_window_count').execute();
}
