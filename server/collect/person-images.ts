import { limits } from '../config.js';
import type { Deps } from '../deps.js';
import { DisposalNotVerified } from '../disposal/errors.js';
import { disposeKeptImages, type KeptImagesRow } from './kept-images.js';

/**
 * A kept image set must not outlive the number it shows (issue 18 §3 with the
 * retention of issue 14): the back of a マイナンバーカード, or a 通知カード, is
 * the employee's number in a picture. So when that employee's number is
 * disposed of, their kept images go in the same run, through the one disposal
 * routine, with a record whose reason says why (`collect-images-person-disposed`)
 * and whose audit entry names the batch.
 *
 * The images are the employee's own documents (本人, `person_id`, migration
 * 0031): disposing of a spouse or a dependent leaves them, since neither's
 * number is on them.
 */
type By = { userId: string | null; role: string | null; requestId?: string };

/**
 * Every kept set of these persons destroyed, verified, recorded; throws
 * DisposalNotVerified when one could not be (the caller stays where it was
 * and its retry runs this again — a set destroyed already is not found again).
 * A set a confirmation is writing right now (`storing`, younger than the
 * stale age) is left to that confirmation and the hourly run (disposeDueImages),
 * which destroys it once it is kept for a disposed person or goes stale.
 */
export async function disposeImagesOfPersons(deps: Deps, personIds: readonly string[], by: By, why: { batch: string }): Promise<number> {
  if (personIds.length === 0) return 0;
  const stale = new Date(deps.clock.now().getTime() - limits.collect.imageStoringStaleMs).toISOString();
  const rows: KeptImagesRow[] = [];
  for (let i = 0; i < personIds.length; i += 500) {
    const chunk = personIds.slice(i, i + 500);
    rows.push(
      ...(await deps.db
        .selectFrom('collect_kept_images')
        .selectAll()
        .where('person_id', 'in', chunk)
        .where((eb) => eb.or([eb('state', '=', 'kept'), eb.and([eb('state', '=', 'storing'), eb('created_at', '<=', stale)])]))
        .execute()),
    );
  }
  let disposed = 0;
  for (const row of rows) {
    try {
      if (await disposeKeptImages(deps, row, 'collect-images-person-disposed', by, why)) disposed++;
    } catch (err) {
      deps.logger.error({ keptImages: row.id, batch: why.batch, err: { name: (err as Error).name } }, 'identity images of a disposed person not destroyed yet; the batch is retried');
      throw err instanceof DisposalNotVerified ? err : new DisposalNotVerified('collect.errors.imagesNotDisposed');
    }
  }
  return disposed;
}
