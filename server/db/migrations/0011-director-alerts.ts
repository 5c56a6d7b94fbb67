import { sql, type Kysely } from 'kysely';

/**
 * Director alerts (issue 12, item 5): a notice for the director(s) that is
 * persisted in the office database and shown on the director's console until
 * a director marks it seen — whether or not an e-mail could also be sent.
 * Before this, an alert existed only as an e-mail, and an office whose
 * director had no address was alerted by nobody while the staff member was
 * told the director had been told.
 *
 * One row per alert. `kind` says what happened ('reveal-block'; other parts,
 * e.g. key-passphrase lockouts, add their own kinds); `about_user_id` is the
 * person it is about. Ids, kinds and times only: never a number, token or name
 * of a person whose data was looked at.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('director_alerts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('about_user_id', 'text', (c) => c.references('users.id'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    // What became of the e-mail: pending (not tried yet), sent, nobody (no director has an address), failed.
    .addColumn('mail_state', 'text', (c) => c.notNull().defaultTo('pending').check(sql`mail_state in ('pending', 'sent', 'nobody', 'failed')`))
    .addColumn('mail_recipients', 'integer')
    .addColumn('acknowledged_at', 'text')
    .addColumn('acknowledged_by', 'text', (c) => c.references('users.id'))
    .execute();
  await db.schema.createIndex('director_alerts_open').on('director_alerts').columns(['acknowledged_at', 'created_at']).execute();
  await db.schema.createIndex('director_alerts_about').on('director_alerts').columns(['kind', 'about_user_id', 'created_at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('director_alerts').execute();
}
