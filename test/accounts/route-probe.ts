import request from 'supertest';
import type { Express } from 'express';
import type { Deps } from '../../server/deps.js';
import { randomId } from '../../server/lib/random.js';
import { csrfToken, signedInAgent, type MadeUser } from '../helpers/actors.js';
import type { RouteEntry } from '../helpers/routes.js';

/**
 * Sends one request to a route from the inventory as a given person, the way
 * a browser would (CSRF token included, so CSRF is never the reason for a
 * refusal), and says how it ended. Every call uses a fresh session, so a
 * route that signs out (logout) cannot spoil the next probe.
 */
export type Who = 'anonymous' | 'client' | 'staff' | 'director' | 'director-no-step-up';

export interface Probe {
  status: number;
  code: string | null;
  location: string | null;
  text: string;
  timedOut: boolean;
}

/** Route params filled in: anything named like a room key gets `key`, everything else a random id (or `other`). */
export function fillPath(path: string, opts: { key?: string; other?: string } = {}): string {
  return path
    .replace(/[{}]/g, '')
    .replace(/([:*])([A-Za-z0-9_$]+)/g, (_m, _kind: string, name: string) => (/key/i.test(name) && opts.key ? opts.key : (opts.other ?? randomId(24))));
}

export function hasParams(path: string): boolean {
  return /[:*][A-Za-z0-9_$]+/.test(path);
}

export async function agentFor(app: Express, deps: Deps, who: Who, users: Partial<Record<'client' | 'staff' | 'director', MadeUser>>) {
  if (who === 'anonymous') return request.agent(app);
  const role = who === 'director-no-step-up' ? 'director' : who;
  const user = users[role];
  if (!user) throw new Error(`no ${role} user for the probe`);
  return (await signedInAgent(app, deps, user, { stepUp: who !== 'director-no-step-up' })).agent;
}

export async function probe(
  app: Express,
  deps: Deps,
  route: Pick<RouteEntry, 'method'>,
  path: string,
  who: Who,
  users: Partial<Record<'client' | 'staff' | 'director', MadeUser>>,
  opts: { accept?: string } = {},
): Promise<Probe> {
  const agent = await agentFor(app, deps, who, users);
  const token = await csrfToken(agent, '/');
  const method = route.method.toLowerCase() as 'get' | 'post' | 'put' | 'patch' | 'delete' | 'head';
  let req = agent[method](path).set('X-CSRF-Token', token).set('Accept', opts.accept ?? 'application/json').redirects(0).timeout({ response: 5000, deadline: 10000 });
  if (method !== 'get' && method !== 'head') req = req.type('form').send({ _csrf: token });
  try {
    const res = await req;
    return shape(res);
  } catch (err) {
    const res = (err as { response?: request.Response }).response;
    if (res) return shape(res);
    if ((err as { timeout?: number }).timeout) return { status: 0, code: null, location: null, text: '', timedOut: true };
    throw err;
  }
}

function shape(res: request.Response): Probe {
  let code: string | null = null;
  const body = res.body as { error?: { code?: string } } | undefined;
  if (body && typeof body === 'object' && body.error?.code) code = body.error.code;
  return { status: res.status, code, location: (res.headers.location as string | undefined) ?? null, text: res.text ?? '', timedOut: false };
}

/**
 * The policy's own answers, told apart from a handler's by the error code the
 * error handler puts in JSON bodies: a login page answering a wrong password
 * with 401, or a logout redirecting to the login page, is not a refusal.
 */
export function askedToSignIn(p: Probe): boolean {
  return p.status === 401 && p.code === 'unauthorized';
}

/** The request was stopped by a role or step-up check. */
export function refusedByRole(p: Probe): boolean {
  return p.status === 403 && (p.code === 'forbidden' || p.code === 'stepUpRequired');
}

export function refusedForStepUp(p: Probe): boolean {
  return (p.status === 403 && p.code === 'stepUpRequired') || ([302, 303].includes(p.status) && /^\/office\/step-up/.test(p.location ?? ''));
}

/** Neither asked to sign in nor refused by role or step-up: the route's own handler answered. */
export function letThrough(p: Probe): boolean {
  return p.timedOut || (!askedToSignIn(p) && !refusedByRole(p) && !refusedForStepUp(p));
}

/** Bodies compared "apart from the request id" (and the per-page CSRF token and nonces). */
export function normalize(text: string): string {
  return text
    .replace(/[0-9a-f]{16}/g, '<hex>')
    .replace(/name="csrf-token" content="[^"]*"/g, 'name="csrf-token" content=""')
    .replace(/name="_csrf" value="[^"]*"/g, 'name="_csrf" value=""')
    .replace(/_csrf=[^"&]*/g, '_csrf=');
}
