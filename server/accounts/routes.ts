import { Router } from 'express';
import type { Deps } from '../deps.js';

/** /office (console), /office/companies…, /office/staff… */
export function accountsRoutes(_deps: Deps): Router {
  const r = Router();
  return r;
}
