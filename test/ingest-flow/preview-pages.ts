import { syntheticMyNumbers } from '../helpers/mynumber.js';
import type { Person } from '../helpers/ingest-office.js';

/** Reading the ingest preview's pages in tests: a large roster, what one page shows, a form body. */

/** A roster of `n` employees, every fifth with a spouse; names and codes by position. */
export function bigRoster(n: number, seed: number): { people: Person[]; numbers: string[] } {
  const numbers = [...new Set(syntheticMyNumbers(n * 2 + 50, seed))].filter((x) => !x.startsWith('0'));
  let next = 0;
  const people: Person[] = [];
  for (let i = 1; i <= n; i++) {
    const code = `E${String(i).padStart(5, '0')}`;
    const p: Person = { code, name: `試験 社員${i}`, kana: `シケン シャイン${i}`, number: numbers[next++]! };
    if (i % 5 === 0) p.spouse = { name: `試験 配偶者${i}`, number: numbers[next++]! };
    people.push(p);
  }
  return { people, numbers: numbers.slice(0, next) };
}

/** What one preview page shows, read from its HTML. */
export function read(html: string) {
  const boxes = [...html.matchAll(/name="exclude" value="([pr][0-9]+)" id="ex-[pr][0-9]+"( checked)?/g)].map((m) => ({ key: m[1]!, checked: !!m[2] }));
  const names = new Map([...html.matchAll(/<label for="ex-([pr][0-9]+)" class="person-name">([^<]*)<\/label>/g)].map((m) => [m[1]!, m[2]!]));
  const repairs = [...html.matchAll(/name="repair" value="(r[0-9]+)"( checked)?/g)].map((m) => ({ key: m[1]!, checked: !!m[2] }));
  return {
    boxes,
    keys: boxes.map((b) => b.key),
    names,
    repairs,
    version: /name="version" value="([0-9]+)"/.exec(html)![1]!,
    shown: /name="shown" value="([^"]*)"/.exec(html)![1]!,
    shownRepair: /name="shownRepair" value="([^"]*)"/.exec(html)![1]!,
    csrf: /name="_csrf" value="([^"]+)"/.exec(html)![1]!,
    action: /<form id="choices" method="post" action="([^"]+)"/.exec(html)![1]!.replace(/&amp;/g, '&'),
  };
}

export function form(fields: Array<[string, string]>): string {
  return fields.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
}

