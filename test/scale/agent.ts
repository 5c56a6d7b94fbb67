import { createSession } from '../../server/auth/sessions.js';
import type { Deps } from '../../server/deps.js';

/**
 * A browser without a browser: a cookie jar and forms over plain HTTP, to
 * the load balancer or straight to one instance. Redirects are not
 * followed, so a test sees each answer.
 */
export interface Answer {
  status: number;
  location: string;
  text: string;
}

export class Agent {
  readonly cookies = new Map<string, string>();
  constructor(public base: string) {}

  /** Signed in as `userId` (a session straight in the database, as the login would leave it). */
  static async signedIn(deps: Deps, base: string, userId: string, opts: { stepUp?: boolean } = {}): Promise<Agent> {
    const a = new Agent(base);
    const sid = await createSession(deps.db, userId, 'full', deps.clock.now(), { ip: '127.0.0.1' }, opts.stepUp ?? false);
    a.cookies.set('kinko_sid', sid);
    return a;
  }

  get sid(): string {
    return this.cookies.get('kinko_sid') ?? '';
  }

  async send(method: 'GET' | 'POST', p: string, form?: Record<string, string | string[]>, base = this.base): Promise<Answer> {
    let body: string | undefined;
    if (form) {
      const f = new URLSearchParams();
      for (const [k, v] of Object.entries(form)) for (const one of Array.isArray(v) ? v : [v]) f.append(k, one);
      body = f.toString();
    }
    const res = await fetch(base + p, {
      method,
      redirect: 'manual',
      headers: {
        cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
        'accept-language': 'ja',
        ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      body,
    });
    for (const c of res.headers.getSetCookie()) {
      const kv = c.split(';')[0]!;
      const i = kv.indexOf('=');
      const v = kv.slice(i + 1);
      if (v === '' || /expires=Thu, 01 Jan 1970/i.test(c)) this.cookies.delete(kv.slice(0, i));
      else this.cookies.set(kv.slice(0, i), v);
    }
    return { status: res.status, location: res.headers.get('location') ?? '', text: await res.text() };
  }

  get(p: string, base?: string): Promise<Answer> {
    return this.send('GET', p, undefined, base);
  }

  /** A form as a browser submits it: the page first (for its CSRF token), then the POST. */
  async submit(pagePath: string, action: string, fields: Record<string, string | string[]>, base?: string): Promise<Answer> {
    const page = await this.get(pagePath, base);
    return this.send('POST', action, { _csrf: csrfOf(page.text), ...fields }, base);
  }
}

export function csrfOf(html: string): string {
  return /<meta name="csrf-token" content="([^"]+)"/.exec(html)?.[1] ?? '';
}
