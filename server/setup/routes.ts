import { Router } from 'express';
import type { Deps } from '../deps.js';

/** /setup/:token — first-run setup (helper: keys+setup) */
export function setupRoutes(_deps: Deps): Router {
  const r = Router();
  return r;
}
