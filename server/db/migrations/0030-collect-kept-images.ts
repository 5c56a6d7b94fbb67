import type { Kysely } from 'kysely';

/**
 * Issue 18 §3: identity images kept only as long as the office's policy says.
 *
 * - `collect_image_policy`: one row (id 'office') with how many days after a
 *   confirmation the identity images of a collected submission are kept.
 *   No row = 0 = destroyed with the submission at confirmation (the default).
 *   The director sets it (collect/image-policy.ts); every change is audited.
 * - `collect_kept_images`: the images of one confirmed submission while they
 *   are kept — an OpenPGP message to the office key in the drops location
 *   under a random key ('i…'); here only that key, its size and SHA-256, the
 *   identity document kind and the image roles (never an image, a number or
 *   a name). `storing` while a confirmation is writing it (a crash leaves
 *   that, and the hourly run destroys it after an hour), `kept` once the
 *   confirmation committed (with `keep_until`), `disposed` once the one
 *   disposal routine verified it gone and recorded it.
 *
 * `state` is text without a CHECK, like the other collect tables.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('collect_image_policy')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('keep_days', 'integer', (c) => c.notNull())
    .addColumn('updated_by', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('collect_kept_images')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('submission_id', 'text', (c) => c.notNull().references('collect_submissions.id'))
    .addColumn('request_id', 'text', (c) => c.notNull().references('collect_requests.id'))
    .addColumn('company_id', 'text', (c) => c.notNull().references('companies.id'))
    .addColumn('stored_key', 'text', (c) => c.notNull().unique())
    .addColumn('size', 'integer', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('identity_kind', 'text', (c) => c.notNull())
    .addColumn('roles', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('confirmed_at', 'text')
    .addColumn('keep_until', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('collect_kept_images_due').on('collect_kept_images').columns(['state', 'keep_until']).execute();
  // Not unique: a confirmation killed after storing leaves its `storing` row, and the confirmation tried again writes another.
  await db.schema.createIndex('collect_kept_images_submission').on('collect_kept_images').column('submission_id').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('collect_kept_images').execute();
  await db.schema.dropTable('collect_image_policy').execute();
}
