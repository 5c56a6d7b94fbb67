import type { Config } from '../config.js';
import { formatMiB } from '../lib/bytes.js';

/** The upload limits as the room pages show them (from config.limits, never a copy). */
export function uploadLimitsView(u: Config['limits']['upload']) {
  return { max: formatMiB(u.maxFileBytes), files: u.maxFilesPerRequest, maxBytes: u.maxFileBytes };
}
