import type { Request, RequestHandler, Response } from 'express';
import { z } from 'zod';
import { BadRequest } from './errors.js';

/**
 * One way to read input (issue 13): each route that reads a body or a query
 * names a zod schema (its domain's `schema.ts`) and puts `validate(schema)`
 * after its policy. The handler then reads only what the schema let through,
 * parsed and typed, with `input(res, schema)` — never `req.body`/`req.query`.
 * Fields a schema does not name are dropped, so a crafted form cannot add
 * `companyId`, `role` or `__proto__` to what a service sees (TENANCY).
 *
 * A schema's messages are i18n keys. A request that fails one is a 400
 * through the error family (the first issue's key, or `errors.badRequest`),
 * or — for a form that shows its mistakes next to each field — the form
 * again, through `opts.form`.
 */
export interface RouteSchema {
  body?: z.ZodType;
  query?: z.ZodType;
}

type Out<S> = S extends z.ZodType ? z.output<S> : undefined;
export interface Input<S extends RouteSchema> {
  body: Out<S['body']>;
  query: Out<S['query']>;
}

/** What a form is shown again with: per field the first problem's i18n key, and the text as typed. */
export interface InvalidForm {
  errors: Record<string, string>;
  values: Record<string, string>;
}

export interface ValidateOptions {
  /** Show the form again (status 400 already set) instead of the error page. */
  form?: (req: Request, res: Response, invalid: InvalidForm) => void | Promise<void>;
}

const I18N_KEY = /^[a-z][A-Za-z0-9]*(\.[A-Za-z0-9]+)+$/;

export function validate<S extends RouteSchema>(schema: S, opts: ValidateOptions = {}): RequestHandler {
  return async (req, res, next) => {
    const body = schema.body?.safeParse(req.body ?? {});
    const query = schema.query?.safeParse(req.query ?? {});
    const failed = [body, query].find((p) => p && !p.success);
    if (!failed?.error) {
      res.locals.input = { body: body?.data, query: query?.data } satisfies Input<RouteSchema>;
      return next();
    }
    const issues = failed.error.issues;
    if (!opts.form) {
      const key = issues.map((i) => i.message).find((m) => I18N_KEY.test(m));
      throw new BadRequest(key ?? 'errors.badRequest');
    }
    res.status(400);
    const names = schema.body instanceof z.ZodObject ? Object.keys(schema.body.shape) : [];
    await opts.form(req, res, invalidForm(issues, names, req.body));
  };
}

/** The route's input as its schema parsed it (set by `validate(schema)`, which must come first). */
export function input<S extends RouteSchema>(res: Response, _schema: S): Input<S> {
  const parsed = res.locals.input as Input<S> | undefined;
  if (!parsed) throw new Error('route reads input without validate(schema)');
  return parsed;
}

function invalidForm(issues: z.core.$ZodIssue[], names: string[], body: unknown): InvalidForm {
  const errors: Record<string, string> = {};
  const values: Record<string, string> = {};
  const raw = (body ?? {}) as Record<string, unknown>;
  for (const issue of issues) {
    const name = String(issue.path[0] ?? '');
    errors[name] ??= I18N_KEY.test(issue.message) ? issue.message : 'errors.badRequest';
  }
  for (const name of names) values[name] = asText(Object.prototype.hasOwnProperty.call(raw, name) ? raw[name] : undefined);
  return { errors, values };
}

/** A flat form or query field as text: '' when it is missing, repeated or not text (use with z.preprocess). */
export const asText = (v: unknown): string => (typeof v === 'string' ? v : '');
export const text = z.preprocess(asText, z.string());

/** `'1'` is true, anything else false (checkbox, `?saved=1`). */
export const flag = z.preprocess((v) => v === '1', z.boolean());
