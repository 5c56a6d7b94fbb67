/**
 * The page's texts for the script. The server renders them (Japanese or
 * English, i18next) into data-t-* attributes of #upload-texts, so the script
 * holds no words of its own and needs no inline script (CSP).
 */

const cap = (k) => k[0].toUpperCase() + k.slice(1);

export function readTexts(el, lang) {
  const data = el ? el.dataset : {};
  const t = (key, params = {}) => {
    const text = data['t' + cap(key)] ?? key;
    return text.replace(/\{\{\s*(\w+)\s*\}\}/g, (m, name) => (name in params ? String(params[name]) : m));
  };
  /** Receipt field labels (drops.field.*), data-field-* attributes. */
  const field = (name) => data['field' + cap(name)] ?? name;
  return { t, field, lang: lang === 'en' ? 'en' : 'ja' };
}

/** 1,234 バイト / 12.3 KB / 4.5 MB, as the server's receipts write sizes. */
export function formatSize(bytes, lang) {
  const n = new Intl.NumberFormat(lang === 'en' ? 'en-US' : 'ja-JP', { maximumFractionDigits: 1 });
  if (bytes < 1024) return lang === 'en' ? `${n.format(bytes)} bytes` : `${n.format(bytes)} バイト`;
  const units = ['KB', 'MB', 'GB'];
  let v = bytes / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i += 1;
  }
  return `${n.format(v)} ${units[i]}`;
}

/** Exact byte count with separators (12,345). */
export function formatBytes(bytes, lang) {
  return new Intl.NumberFormat(lang === 'en' ? 'en-US' : 'ja-JP').format(bytes);
}
