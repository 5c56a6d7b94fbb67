/**
 * Times in the office's time zone: the one date formatter. The database keeps
 * UTC (schema.ts); people in a Japanese office read Japan time, labelled so
 * nobody has to guess. Two forms:
 *  - formatJst(at, lang): for a page or a sheet in one language
 *    (`2025年4月1日 09:05:00（日本時間）` / `1 Apr 2025, 09:05:00 JST`);
 *  - jstStamp(at): one short form both languages read, for bilingual mail,
 *    certificates and lists (`2025-04-01 09:05 JST`).
 */
const stamp = new Intl.DateTimeFormat('en-CA', {
  timeZone: 'Asia/Tokyo',
  year: 'numeric', month: '2-digit', day: '2-digit',
  hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
});
const ja = new Intl.DateTimeFormat('ja-JP', {
  timeZone: 'Asia/Tokyo',
  year: 'numeric', month: 'long', day: 'numeric',
  hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
});
const en = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Asia/Tokyo',
  year: 'numeric', month: 'short', day: 'numeric',
  hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
});

const asDate = (at: string | Date): Date => (typeof at === 'string' ? new Date(at) : at);

/** Japan time for a reader of one language (anything but 'en' reads Japanese). */
export function formatJst(at: string | Date, lang: string = 'ja'): string {
  const d = asDate(at);
  return lang === 'en' ? `${en.format(d)} JST` : `${ja.format(d)}（日本時間）`;
}

/** `2025-04-01 09:05 JST`: the same text for either language. */
export function jstStamp(at: string | Date): string {
  const p = Object.fromEntries(stamp.formatToParts(asDate(at)).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute} JST`;
}
