import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import ts from 'typescript';

/**
 * Thin routes stay thin (style.md 6, issue 13): every function handed to a
 * router's get/post/put/patch/delete/all/use in server/**\/*routes*.ts is at
 * most MAX_LINES lines; workflow belongs in the domain's services. Measured
 * with the TypeScript parser, so formatting tricks do not hide a handler.
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const MAX_LINES = 40;
const VERBS = new Set(['get', 'post', 'put', 'patch', 'delete', 'all', 'use']);

interface Handler { file: string; line: number; route: string; lines: number }

function handlersOf(file: string, source: string): Handler[] {
  const sf = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true);
  const found: Handler[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && VERBS.has(node.expression.name.text)) {
      const route = node.arguments[0] && ts.isStringLiteralLike(node.arguments[0]) ? node.arguments[0].text : '(no path)';
      for (const arg of node.arguments) {
        if (!ts.isArrowFunction(arg) && !ts.isFunctionExpression(arg)) continue;
        const start = sf.getLineAndCharacterOfPosition(arg.getStart(sf)).line;
        const end = sf.getLineAndCharacterOfPosition(arg.getEnd()).line;
        found.push({ file: path.relative(ROOT, file), line: start + 1, route: `${node.expression.name.text} ${route}`, lines: end - start + 1 });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

function routeFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return routeFiles(p);
    return /routes.*\.ts$/.test(e.name) ? [p] : [];
  });
}

describe('route handlers', () => {
  it(`when a route handler in server/**/*routes*.ts grows over ${MAX_LINES} lines, this fails and names it`, () => {
    const files = routeFiles(path.join(ROOT, 'server'));
    const handlers = files.flatMap((f) => handlersOf(f, fs.readFileSync(f, 'utf8')));
    expect(files.length).toBeGreaterThan(10);
    expect(handlers.length).toBeGreaterThan(50);
    expect(handlers.filter((h) => h.lines > MAX_LINES)).toEqual([]);
  });

  it('the measure sees a long handler passed to r.post, after its policy and validate steps', () => {
    const body = Array.from({ length: MAX_LINES }, (_, i) => `  const v${i} = ${i};`).join('\n');
    const src = `r.post('/x', policy(p), validate(s), async (req, res) => {\n${body}\n});\nr.get('/y', (req, res) => res.end());`;
    const hs = handlersOf(path.join(ROOT, 'server/x/routes.ts'), src);
    expect(hs.map((h) => [h.route, h.lines])).toEqual([['post /x', MAX_LINES + 2], ['get /y', 1]]);
  });
});
