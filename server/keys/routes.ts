import { Router } from 'express';
import type { Deps } from '../deps.js';

/** /office-key.asc — the office public key */
export function publicKeyRoutes(_deps: Deps): Router {
  const r = Router();
  return r;
}
