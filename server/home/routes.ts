import { Router } from 'express';
import { policy } from '../http/policies.js';

export function homeRoutes(): Router {
  const r = Router();
  r.get('/', policy({ audience: 'public', note: 'start page' }), (_req, res) => {
    res.render('home');
  });
  return r;
}
