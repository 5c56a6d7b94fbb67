/**
 * Times in the office's time zone. The database keeps UTC (schema.ts); people
 * in a Japanese office read Japan time, labelled so nobody has to guess.
 */
const fmt = new Intl.DateTimeFormat('en-CA', {
  timeZone: 'Asia/Tokyo',
  year: 'numeric', month: '2-digit', day: '2-digit',
  hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
});

/** `2025-04-01 09:05 JST` */
export function formatJst(iso: string): string {
  const p = Object.fromEntries(fmt.formatToParts(new Date(iso)).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute} JST`;
}
