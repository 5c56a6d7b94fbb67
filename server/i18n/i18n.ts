import i18next, { type i18n } from 'i18next';
import * as middleware from 'i18next-http-middleware';
import type { RequestHandler } from 'express';
import fs from 'node:fs';

export const LANGUAGES = ['ja', 'en'] as const;
export type Language = (typeof LANGUAGES)[number];

/**
 * Each domain keeps its own texts in `locales/<lang>/<domain>.json` under its
 * own top-level key (auth.json → "auth": {...}); they are merged here.
 */
function loadLocale(lang: Language): Record<string, unknown> {
  const dir = new URL(`./locales/${lang}/`, import.meta.url);
  const merged: Record<string, unknown> = {};
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    const part = JSON.parse(fs.readFileSync(new URL(file, dir), 'utf8')) as Record<string, unknown>;
    for (const [k, v] of Object.entries(part)) {
      if (k in merged) throw new Error(`locale key "${k}" is defined twice (${lang}/${file})`);
      merged[k] = v;
    }
  }
  return merged;
}

/** A fresh i18next instance per app (no global state shared between tests). */
export async function createI18n(): Promise<i18n> {
  const ja = loadLocale('ja');
  const en = loadLocale('en');
  const instance = i18next.createInstance();
  await instance.use(middleware.LanguageDetector).init({
    resources: { ja: { translation: ja }, en: { translation: en } },
    fallbackLng: 'ja',
    showSupportNotice: false,
    supportedLngs: [...LANGUAGES],
    nonExplicitSupportedLngs: true,
    load: 'languageOnly',
    interpolation: { escapeValue: false }, // EJS escapes with <%= %>
    detection: {
      // ?lang= from the visible switch wins, then the remembered choice, then the browser.
      order: ['querystring', 'cookie', 'header'],
      lookupQuerystring: 'lang',
      lookupCookie: 'kinko_lang',
      caches: ['cookie'],
      cookieSecure: false,
      cookieSameSite: 'lax',
      ignoreCase: true,
    },
  });
  return instance;
}

/** Query keys the language switch keeps: the ingest preview's place (page, person filter, review page), a ledger's period. */
const KEPT_ON_SWITCH = ['page', 'status', 'rpage', 'from', 'to'] as const;

/** Japanese unless the visitor chose English; `t` and `lang` reach every view. */
export function i18nMiddleware(instance: i18n): RequestHandler[] {
  return [
    middleware.handle(instance) as unknown as RequestHandler,
    (req, res, next) => {
      const lang: Language = (req as unknown as { language?: string }).language?.startsWith('en') ? 'en' : 'ja';
      const t = instance.getFixedT(lang);
      res.locals.lang = lang;
      res.locals.t = t;
      res.locals.otherLang = lang === 'ja' ? 'en' : 'ja';
      // The language switch keeps where the page is (a preview's page and
      // filter), only `lang` changes. Only these plain paging keys are carried
      // over: never a signature, a token or anything else from the address.
      const query = new URLSearchParams();
      for (const key of KEPT_ON_SWITCH) {
        const v = req.query[key];
        if (typeof v === 'string' && /^[A-Za-z0-9-]{1,20}$/.test(v)) query.set(key, v);
      }
      query.set('lang', res.locals.otherLang as string);
      res.locals.langSwitchHref = `?${query.toString()}`;
      next();
    },
  ];
}
