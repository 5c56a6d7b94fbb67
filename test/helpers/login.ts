import { execFileSync } from 'node:child_process';
import type { Express } from 'express';
import { generate } from 'otplib';
import request from 'supertest';

/** The code an authenticator app shows at `at`, computed by a real peer (oathtool). */
export function oathCode(secret: string, at: Date): string {
  return execFileSync('oathtool', ['--totp', '-b', `--now=@${Math.floor(at.getTime() / 1000)}`, secret], { encoding: 'utf8' }).trim();
}

/** The same, computed by otplib — used for time-travel cases. */
export async function otplibCode(secret: string, at: Date): Promise<string> {
  return generate({ secret, epoch: Math.floor(at.getTime() / 1000) });
}

export type Agent = ReturnType<typeof request.agent>;

export function csrfOf(html: string): string {
  const m = /name="_csrf" value="([^"]+)"/.exec(html) ?? /<meta name="csrf-token" content="([^"]+)"/.exec(html);
  if (!m) throw new Error('no csrf token in page');
  return m[1]!;
}

/** Opens the login page (as a browser would) and posts the form; returns the POST response. */
export async function postLogin(
  agent: Agent,
  page: string,
  action: string,
  fields: { loginId: string; password: string; totp?: string },
  ip?: string,
) {
  const form = await withIp(agent.get(page), ip);
  if (form.status !== 200) throw new Error(`login page ${form.status}`);
  return withIp(agent.post(action).type('form').send({ _csrf: csrfOf(form.text), totp: '', ...fields }), ip);
}

export function withIp<T extends { set(k: string, v: string): T }>(req: T, ip?: string): T {
  return ip ? req.set('X-Forwarded-For', ip) : req;
}

export const roomLogin = (agent: Agent, key: string, f: { loginId: string; password: string; totp?: string }, ip?: string) =>
  postLogin(agent, `/room/${key}`, `/room/${key}/login`, f, ip);

export const officeLogin = (agent: Agent, f: { loginId: string; password: string; totp?: string }, ip?: string) =>
  postLogin(agent, '/office/login', '/office/login', f, ip);

/** The page body with the per-request token fields removed, to compare two answers. */
export function withoutTokens(html: string): string {
  return html
    .replace(/name="_csrf" value="[^"]*"/g, 'name="_csrf" value=""')
    .replace(/<meta name="csrf-token" content="[^"]*">/g, '<meta name="csrf-token" content="">');
}

let ipCounter = 0;
/** A fresh client address per test, so IP counts of one test never touch another. */
export function freshIp(): string {
  ipCounter += 1;
  return `198.51.100.${ipCounter}`;
}

export function sessionCookieOf(res: { headers: Record<string, unknown> }, name = 'kinko_sid'): string | undefined {
  const raw = res.headers['set-cookie'];
  const list = Array.isArray(raw) ? (raw as string[]) : raw ? [String(raw)] : [];
  const c = list.find((x) => x.startsWith(`${name}=`) && !x.startsWith(`${name}=;`));
  return c ? c.slice(name.length + 1).split(';')[0] : undefined;
}

export type { Express };
