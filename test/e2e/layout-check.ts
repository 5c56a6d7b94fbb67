import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';

/**
 * The layout checks of issue 11, item 10, run inside the page by real
 * Chromium: what a person would see as broken at a given width.
 *
 * - overflow: the page scrolls sideways (something is wider than the window);
 * - wrappedCounts: a count (「1 件」「新着 1 件」「3 人」, a badge) breaks over
 *   two lines;
 * - letterColumns: a table cell holding a token (an id, a hash, a file name)
 *   is so narrow that the token runs down it a few letters a line;
 * - scrollRegions: regions inside the page that scroll sideways (content
 *   wider than a box that lets it scroll: at 390 px every table is one,
 *   kinko.css). The page-wide `overflow` cannot see these — the container
 *   keeps the page narrow. A wide table one only reads (a schedule, the audit
 *   log) may scroll inside itself, so these fail only on pages that ask for
 *   it (layout.test.ts: `noInnerScroll`); each says whether it holds a form
 *   field or button.
 */
export interface LayoutProblems {
  overflow: string | null;
  scrollRegions: string[];
  wrappedCounts: string[];
  letterColumns: string[];
}

/** Where screenshots go: git-ignored, kept by CI as artefacts. */
export const SCREENSHOT_DIR = path.resolve(process.env.KINKO_SCREENSHOT_DIR ?? 'test-artifacts/screenshots');

export function screenshotPath(name: string, width: number): string {
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  return path.join(SCREENSHOT_DIR, `${name}-${width}.png`);
}

export async function layoutProblems(page: Page): Promise<LayoutProblems> {
  return page.evaluate(() => {
    /** How many line boxes the element's text takes (rects of its contents, by distinct top). */
    const lines = (el: Element): number => {
      const range = document.createRange();
      range.selectNodeContents(el);
      const tops = new Set<number>();
      for (const r of range.getClientRects()) if (r.width > 0 && r.height > 0) tops.add(Math.round(r.top));
      // Rects of one line may differ by a pixel or two (mixed fonts): merge tops closer than a third of a line.
      const sorted = [...tops].sort((a, b) => a - b);
      const lh = parseFloat(getComputedStyle(el).fontSize) || 16;
      let n = 0;
      let last = -Infinity;
      for (const t of sorted) {
        if (t - last > lh / 3) n++;
        last = t;
      }
      return n;
    };
    const label = (el: Element) => `${el.tagName.toLowerCase()}${el.className ? `.${String(el.className).trim().split(/\s+/).join('.')}` : ''} 「${(el.textContent ?? '').trim().slice(0, 40)}」`;
    const visible = (el: Element) => {
      const r = el.getBoundingClientRect();
      return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== 'hidden';
    };

    const width = document.documentElement.clientWidth;
    const scroll = document.documentElement.scrollWidth;
    let overflow: string | null = null;
    if (scroll > width + 1) {
      // Name the widest element that sticks out, so the failure says what to fix.
      let worst: Element | null = null;
      let right = width;
      for (const el of document.body.querySelectorAll('*')) {
        const r = el.getBoundingClientRect();
        if (r.right > right + 1 && visible(el)) {
          right = r.right;
          worst = el;
        }
      }
      overflow = `page is ${scroll}px wide in a ${width}px window${worst ? `; widest: ${label(worst)}` : ''}`;
    }

    // A count: the element's whole text is a number with its unit (or a badge).
    const COUNT = /^(新着\s*)?[0-9][0-9,]*\s*(件|人|行|new)?$|^[0-9][0-9,]*\s*(件|人|行)(（[^）]*）)?$/;
    const wrappedCounts: string[] = [];
    for (const el of document.body.querySelectorAll('.badge, .count, td, th, li, strong, span, small, a')) {
      const text = (el.textContent ?? '').trim();
      if (!visible(el) || !(el.classList.contains('badge') || COUNT.test(text))) continue;
      if (lines(el) > 1) wrappedCounts.push(label(el));
    }

    // A token: a run of 8 or more characters without a space (ids, hashes, codes, file names).
    const letterColumns: string[] = [];
    for (const td of document.body.querySelectorAll('td, th')) {
      const text = (td.textContent ?? '').trim();
      const token = /[^\s]{8,}/.exec(text);
      if (!token || !visible(td)) continue;
      const fontSize = parseFloat(getComputedStyle(td).fontSize) || 16;
      const inner = td.getBoundingClientRect().width;
      const n = lines(td);
      // Narrower than five characters, or three characters or fewer a line on average.
      if (inner < fontSize * 5 || (n > 2 && text.length / n <= 3)) letterColumns.push(`${label(td)} (${Math.round(inner)}px, ${n} lines)`);
    }
    // Regions that scroll sideways inside the page: content wider than the box, and the box lets it scroll.
    const scrollRegions: string[] = [];
    for (const el of document.body.querySelectorAll('*')) {
      const ox = getComputedStyle(el).overflowX;
      if ((ox !== 'auto' && ox !== 'scroll') || el.scrollWidth <= el.clientWidth + 1 || !visible(el)) continue;
      const fields = el.querySelector('input:not([type=hidden]), select, textarea, button') ? ', holds form fields' : '';
      scrollRegions.push(`${label(el)} (${el.scrollWidth}px of content in ${el.clientWidth}px${fields})`);
    }
    return { overflow, wrappedCounts, letterColumns, scrollRegions };
  });
}
