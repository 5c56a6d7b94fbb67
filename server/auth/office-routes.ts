import { Router } from 'express';
import type { Deps } from '../deps.js';

/** /office/login, /office/welcome, /office/logout, /office/step-up, /office/sessions */
export function officeAuthRoutes(_deps: Deps): Router {
  const r = Router();
  return r;
}
