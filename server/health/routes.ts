import { Router } from 'express';
import type { Deps } from '../deps.js';
import { policy } from '../http/policies.js';
import type { Logger } from '../log/logger.js';
import { checkHealth } from './service.js';

export function healthRoutes(deps: Deps, logger: Logger): Router {
  const r = Router();
  r.get('/healthz', policy({ audience: 'public', note: 'load balancer probe' }), async (_req, res) => {
    const results = await checkHealth(deps);
    const ok = results.every((c) => c.ok);
    // Problems go to the log only: the public probe says which part failed, not why.
    for (const c of results) if (!c.ok) logger.warn({ check: c.name, problem: c.problem }, 'health check failed');
    res.status(ok ? 200 : 503).set('Cache-Control', 'no-store').json({
      status: ok ? 'ok' : 'unavailable',
      checks: Object.fromEntries(results.map((c) => [c.name, c.ok ? 'ok' : 'failed'])),
    });
  });
  return r;
}
