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
    const res = await this.fetchOnce(base + p, {
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

  /**
   * fetch, sent once more when the server had closed the kept-alive
   * connection just as it was reused ("other side closed", nothing
   * answered): the idle-connection race every HTTP client has (on a loaded
   * machine the client's timer that drops idle connections fires late). The
   * server never read the request, so sending it again is what a browser
   * does; the tests that count effects (audit entries) would see a double.
   */
  private async fetchOnce(url: string, init: RequestInit): Promise<Response> {
    try {
      return await fetch(url, init);
    } catch (e) {
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      if (cause?.code !== 'UND_ERR_SOCKET' || !/other side closed/.test(cause.message ?? '')) throw e;
      return fetch(url, init);
    }
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
