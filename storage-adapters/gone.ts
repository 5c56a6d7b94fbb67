import { StorageNotFoundError } from './errors.js';
import type { StorageAdapter } from './types.js';

/**
 * What is left of an object after delete(): remnants (versions, delete
 * markers, pending uploads, temp copies) by listing, and whether `head`
 * answers not-found. Gone means both. Disposal verifies every object with
 * this before it records anything (P5).
 */
export async function whatIsLeft(store: StorageAdapter, key: string): Promise<{ remnants: number; headGone: boolean }> {
  const remnants = (await store.remnants(key)).length;
  const headGone = await store.head(key).then(
    () => false,
    (e: unknown) => {
      if (e instanceof StorageNotFoundError) return true;
      throw e;
    },
  );
  return { remnants, headGone };
}
