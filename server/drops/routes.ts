import { Router } from 'express';
import type { Deps } from '../deps.js';

/** /room/:key/drops… (client uploads, receipts), /api/v1/… (scripted uploads) — filled in by the drops work. */
export function dropsRoutes(_deps: Deps): Router {
  const r = Router();
  return r;
}
