import { Router } from 'express';
import type { Deps } from '../deps.js';

/** /office/audit — read, filter and export the trail */
export function auditRoutes(_deps: Deps): Router {
  const r = Router();
  return r;
}
