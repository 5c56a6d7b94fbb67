import type { Request, RequestHandler, Response } from 'express';
import type { Deps } from '../deps.js';
import { findInstance, isAlive } from './instances.js';
import * as repo from './repo.js';
import { ingestRuntime } from './runtime.js';

/**
 * A preview page or form reaching an instance other than the one holding the
 * preview (scaled deployment behind a plain round-robin load balancer).
 *
 * The preview — the decrypted file, the numbers, the open vault session — is
 * in the memory of the instance that parsed the file, and may not go anywhere
 * else (P1, P3). So the request goes to it instead: this instance has already
 * checked the session and CSRF token (same secrets on every instance), and
 * passes the request as it came, over the instances' own network
 * (KINKO_INSTANCE_URL), to the holder, which checks them again and answers;
 * the answer goes back unchanged. Nothing of the preview is kept here.
 *
 * When the holder is gone (killed, restarted, unreachable) the preview died
 * with it: the staff member is sent to the drop's page, which says so and
 * asks for the passphrase again — the file is intact, nothing was saved, and
 * starting again here takes over their own claim at once.
 *
 * A forwarded request carries HOP_HEADER and is never forwarded again.
 */
export const HOP_HEADER = 'x-kinko-hop';
const FORWARD_TIMEOUT_MS = 15 * 60_000; // a confirm of a very large file commits for minutes
const PASSED_REQUEST_HEADERS = ['cookie', 'accept-language', 'user-agent', 'origin', 'referer', 'x-csrf-token', 'accept'];
const KEPT_RESPONSE_HEADERS = new Set(['content-type', 'location', 'cache-control', 'content-language', 'content-security-policy', 'x-request-id']);

export function previewHolder(deps: Deps): RequestHandler {
  return async (req, res, next) => {
    try {
      const jobId = typeof req.params.jobId === 'string' ? req.params.jobId : '';
      if (req.get(HOP_HEADER)) return next();
      const here = ingestRuntime(deps);
      const job = await repo.findJob(deps.db, jobId);
      if (!job || !job.instanceId || job.instanceId === here.instanceId) return next();
      if (job.state !== 'claimed' && job.state !== 'previewing') return next();
      if (here.cache.get(job.id, job.attempt)) return next();
      const holder = await findInstance(deps.db, job.instanceId);
      // An instance this database never heard of (a test app, a one-off command) is not ours to judge.
      if (!holder) return next();
      if (holder.url && isAlive(holder, deps.clock.now())) {
        try {
          return await forward(req, res, holder.url, here.instanceId);
        } catch (err) {
          deps.logger.warn({ jobId, holder: holder.id, err: (err as Error).name, requestId: res.locals.requestId }, 'ingest preview holder did not answer; asking for the passphrase again');
        }
      }
      res.redirect(303, `/office/drops/${job.dropId}?handover=1`);
    } catch (err) {
      next(err);
    }
  };
}

async function forward(req: Request, res: Response, holderUrl: string, from: string): Promise<void> {
  const headers: Record<string, string> = { [HOP_HEADER]: from };
  for (const h of PASSED_REQUEST_HEADERS) {
    const v = req.get(h);
    if (v) headers[h] = v;
  }
  // The holder sees the client's address (it trusts one proxy hop, this one) and scheme.
  headers['x-forwarded-for'] = req.ip ?? '';
  headers['x-forwarded-proto'] = req.protocol;
  let body: string | undefined;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    // The form was parsed already (flat fields, repeated ones as lists): sent again as the same form.
    const form = new URLSearchParams();
    for (const [k, v] of Object.entries((req.body ?? {}) as Record<string, unknown>)) {
      for (const one of Array.isArray(v) ? v : [v]) if (typeof one === 'string') form.append(k, one);
    }
    body = form.toString();
    headers['content-type'] = 'application/x-www-form-urlencoded';
  }
  const answer = await fetch(holderUrl + req.originalUrl, {
    method: req.method,
    headers,
    body,
    redirect: 'manual',
    signal: AbortSignal.timeout(FORWARD_TIMEOUT_MS),
  });
  const bytes = Buffer.from(await answer.arrayBuffer());
  res.status(answer.status);
  for (const [k, v] of answer.headers) if (KEPT_RESPONSE_HEADERS.has(k)) res.set(k, v);
  const cookies = answer.headers.getSetCookie();
  if (cookies.length) res.append('Set-Cookie', cookies);
  res.end(bytes);
}
