import type { Express } from 'express';
import { isPolicyHandler, type Policy } from '../../server/http/policies.js';

export interface RouteEntry {
  method: string;
  path: string;
  policy?: Policy;
}

type Layer = {
  route?: { path: string; methods: Record<string, boolean>; stack: Array<{ handle: unknown }> };
  handle?: { stack?: Layer[] };
  name?: string;
  matchers?: unknown[];
  regexp?: RegExp;
};

/**
 * Walks the Express 5 router (nested routers included) and lists every route
 * with its policy. kinko mounts every router at the root with full paths, so
 * the listed paths are the real ones.
 */
export function routeInventory(app: Express): RouteEntry[] {
  const out: RouteEntry[] = [];
  const walk = (stack: Layer[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        const first = layer.route.stack[0]?.handle;
        for (const method of Object.keys(layer.route.methods)) {
          out.push({ method: method.toUpperCase(), path: prefix + layer.route.path, policy: isPolicyHandler(first) ? first.policy : undefined });
        }
      } else if (layer.handle?.stack) {
        walk(layer.handle.stack, prefix);
      }
    }
  };
  const router = (app as unknown as { router: { stack: Layer[] } }).router;
  walk(router.stack, '');
  return out;
}
