import type { i18n } from 'i18next';
import type { Request, Response } from 'express';

/**
 * What the error page needs, for every route — including those mounted before
 * the i18n middleware (static files, the vendor module, the health probe).
 * Without these locals views/error.ejs threw ("lang is not defined") inside the
 * error handler, and Express's own handler then sent the raw stack trace, with
 * the install's absolute paths, to the browser.
 */
type T = (key: string, options?: object) => string;

/** Japanese unless the visitor chose English (query, remembered cookie, browser), as i18n.ts decides. */
function languageOf(req: Request): 'ja' | 'en' {
  const q = typeof req.query?.lang === 'string' ? req.query.lang : '';
  if (/^(ja|en)/i.test(q)) return q.toLowerCase().startsWith('en') ? 'en' : 'ja';
  const cookie = /(?:^|;\s*)kinko_lang=([a-zA-Z-]+)/.exec(req.headers.cookie ?? '')?.[1];
  if (cookie) return cookie.toLowerCase().startsWith('en') ? 'en' : 'ja';
  const header = (req.headers['accept-language'] ?? '').split(',')[0]?.trim().toLowerCase() ?? '';
  return header.startsWith('en') ? 'en' : 'ja';
}

/** Fills in `lang`, `t` and `otherLang` when the request never reached the i18n middleware. */
export function ensurePageLocals(instance: i18n, req: Request, res: Response): T {
  if (typeof res.locals.t !== 'function' || typeof res.locals.lang !== 'string') {
    const lang = languageOf(req);
    res.locals.lang = lang;
    res.locals.t = instance.getFixedT(lang);
    res.locals.otherLang = lang === 'ja' ? 'en' : 'ja';
  }
  res.locals.otherLang ??= res.locals.lang === 'ja' ? 'en' : 'ja';
  return res.locals.t as T;
}

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * The last resort when the error view itself cannot be rendered: a fixed page
 * built from escaped strings only, so it cannot throw and shows no stack.
 */
export function fallbackErrorPage(v: { lang: string; title: string; message: string; requestId: string; requestIdLabel: string }): string {
  return (
    `<!doctype html><html lang="${escape(v.lang)}"><head><meta charset="utf-8"><title>${escape(v.title)}</title></head>` +
    `<body><h1>${escape(v.title)}</h1><p role="alert">${escape(v.message)}</p>` +
    `<p>${escape(v.requestIdLabel)}: <code>${escape(v.requestId)}</code></p><p><a href="/">kinko</a></p></body></html>`
  );
}
