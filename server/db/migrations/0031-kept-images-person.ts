import type { Kysely } from 'kysely';

/**
 * Issues 16 and 18: whose identity documents a kept image set is.
 *
 * `collect_kept_images.person_id` — the employee (本人) whose マイナンバーカード
 * or 通知カード the images show: the person a confirmation created, or the one
 * already held when the entered number was a duplicate or a number change.
 * Set when the images are stored (collect/kept-images.ts). Without it nothing
 * linked a kept set to a person once the person's `source_drop_id` was cleared
 * at disposal, and never for a duplicate. Breach scoping counts the person
 * from it (oversight/scope-repo.ts), and disposing of the person destroys
 * the images in the same run (disposal-batches/batch-run.ts).
 *
 * No foreign key: a confirmation killed after storing leaves a row naming a
 * person that was never committed (the hourly run destroys it).
 *
 * Rows kept before this migration: the 本人 the confirmation created from
 * that submission, else the held 本人 with the request's employee code.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('collect_kept_images').addColumn('person_id', 'text').execute();
  await db.schema.createIndex('collect_kept_images_person').on('collect_kept_images').column('person_id').execute();
  const rows = await db
    .selectFrom('collect_kept_images as k')
    .innerJoin('collect_requests as r', 'r.id', 'k.request_id')
    .select(['k.id', 'k.submission_id', 'k.company_id', 'r.employee_code'])
    .where('k.state', 'in', ['storing', 'kept'])
    .execute();
  for (const row of rows) {
    const created = await db.selectFrom('persons').select('id').where('source_drop_id', '=', row.submission_id).where('relation', '=', '本人').executeTakeFirst();
    const held = created ?? (row.employee_code
      ? await db.selectFrom('persons').select('id').where('company_id', '=', row.company_id).where('employee_code', '=', row.employee_code).where('relation', '=', '本人').where('state', '=', 'held').executeTakeFirst()
      : undefined);
    if (held) await db.updateTable('collect_kept_images').set({ person_id: held.id }).where('id', '=', row.id).execute();
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('collect_kept_images_person').execute();
  await db.schema.alterTable('collect_kept_images').dropColumn('person_id').execute();
}
