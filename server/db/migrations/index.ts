import type { Migration } from 'kysely';
import * as m0001 from './0001-meta.js';
import * as m0002 from './0002-accounts.js';
import * as m0003 from './0003-audit.js';
import * as m0007 from './0007-drops.js';
import * as m0008 from './0008-notify.js';
import * as m0009 from './0009-vault.js';
import * as m0010 from './0010-ingest.js';
import * as m0011 from './0011-director-alerts.js';
import * as m0012 from './0012-person-last4.js';
import * as m0013 from './0013-unreadable-drops.js';
import * as m0014 from './0014-throttle-claims.js';
import * as m0015 from './0015-disposals.js';
import * as m0016 from './0016-instances.js';
import * as m0019 from './0019-retention.js';
import * as m0020 from './0020-disposal-batches.js';
import * as m0023 from './0023-year-end-inputs.js';
import * as m0024 from './0024-bundles.js';
import * as m0026 from './0026-collect.js';
import * as m0027 from './0027-vault-retired-records.js';
import * as m0028 from './0028-bundle-delivery.js';
import * as m0029 from './0029-oversight.js';
import * as m0030 from './0030-collect-kept-images.js';
import * as m0031 from './0031-kept-images-person.js';

/**
 * Every migration, in order, listed by hand. A static list instead of scanning
 * a folder: it works the same from TypeScript sources, a compiled build and a
 * bundled Docker image, and a stray file dropped next to the migrations can
 * never be executed against the office database.
 *
 * To add one: create `NNNN-what.ts` exporting `up` (and `down`), add it here
 * with the next number, and add its tables to `../schema.ts`. Never rename or
 * edit a migration that has shipped: installed databases record the name.
 */
export const migrations: Readonly<Record<string, Migration>> = Object.freeze({
  '0001-meta': m0001,
  '0002-accounts': m0002,
  '0003-audit': m0003,
  '0007-drops': m0007,
  '0008-notify': m0008,
  '0009-vault': m0009,
  '0010-ingest': m0010,
  '0011-director-alerts': m0011,
  '0012-person-last4': m0012,
  '0013-unreadable-drops': m0013,
  '0014-throttle-claims': m0014,
  '0015-disposals': m0015,
  '0016-instances': m0016,
  '0019-retention': m0019,
  '0020-disposal-batches': m0020,
  '0023-year-end-inputs': m0023,
  '0024-bundles': m0024,
  '0026-collect': m0026,
  '0027-vault-retired-records': m0027,
  '0028-bundle-delivery': m0028,
  '0029-oversight': m0029,
  '0030-collect-kept-images': m0030,
  '0031-kept-images-person': m0031,
});
