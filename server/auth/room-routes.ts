import { Router } from 'express';
import type { Deps } from '../deps.js';

/** /room/:key — client login, first-login enrolment, the room page */
export function roomRoutes(_deps: Deps): Router {
  const r = Router();
  return r;
}
