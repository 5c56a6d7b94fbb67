/**
 * The console's forms, read field by field from the parsed body. Only the
 * named fields are read — anything else a request carries (`companyId`,
 * `role`, `status`, `__proto__`, …) is ignored, so a crafted form cannot pick
 * the company, the role or the state of what it creates (TENANCY).
 * Problems come back as i18n keys per field, for the form to show in Japanese.
 */
export type FieldErrors = Record<string, string>;
export type Parsed<T> = { ok: true; value: T } | { ok: false; errors: FieldErrors; values: Record<string, string> };

/** A single text field, or '' when it is missing, repeated or not text. */
export function field(body: unknown, name: string): string {
  if (!body || typeof body !== 'object') return '';
  if (!Object.prototype.hasOwnProperty.call(body, name)) return '';
  const v = (body as Record<string, unknown>)[name];
  return typeof v === 'string' ? v : '';
}

/** Full-width letters and digits typed on a Japanese keyboard become their ASCII forms; outer spaces go. */
function clean(s: string): string {
  return s.normalize('NFKC').trim();
}

const EMAIL = /^[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:"]+\.[^\s@<>()[\]\\,;:"]+$/;
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

function name(raw: string, errors: FieldErrors, key: string, max: number): string {
  const v = raw.trim();
  if (!v) errors[key] = `accounts.errors.${key}Required`;
  else if ([...v].length > max) errors[key] = `accounts.errors.${key}TooLong`;
  // Control and bidi-override characters would make a printed sheet or a list lie about the name.
  else if (CONTROL.test(v)) errors[key] = `accounts.errors.${key}Invalid`;
  return v;
}

function email(raw: string, errors: FieldErrors, key: string): string {
  const v = clean(raw);
  if (!v) errors[key] = 'accounts.errors.emailRequired';
  else if (v.length > 254 || !EMAIL.test(v)) errors[key] = 'accounts.errors.emailInvalid';
  return v;
}

export interface CompanyForm {
  name: string;
  contactEmail: string;
}

export function parseCompanyForm(body: unknown): Parsed<CompanyForm> {
  const errors: FieldErrors = {};
  const value = {
    name: name(field(body, 'name'), errors, 'companyName', 100),
    contactEmail: email(field(body, 'contactEmail'), errors, 'contactEmail'),
  };
  return Object.keys(errors).length ? { ok: false, errors, values: { ...value } } : { ok: true, value };
}

export interface StaffForm {
  displayName: string;
  loginId: string;
  email: string;
}

/** Login IDs people type from paper: lower-case letters, digits and . _ - (3 to 32). */
export const LOGIN_ID = /^[a-z0-9][a-z0-9._-]{2,31}$/;

export function parseStaffForm(body: unknown): Parsed<StaffForm> {
  const errors: FieldErrors = {};
  const loginId = clean(field(body, 'loginId')).toLowerCase();
  if (!loginId) errors.loginId = 'accounts.errors.loginIdRequired';
  else if (!LOGIN_ID.test(loginId)) errors.loginId = 'accounts.errors.loginIdInvalid';
  const value = {
    displayName: name(field(body, 'displayName'), errors, 'displayName', 50),
    loginId,
    email: email(field(body, 'email'), errors, 'email'),
  };
  return Object.keys(errors).length ? { ok: false, errors, values: { ...value } } : { ok: true, value };
}

/** Ids in paths are random base64url text; anything else (`..%2f`, NUL, 10 kB) is answered 404 before any query. */
export function looksLikeId(id: unknown): id is string {
  return typeof id === 'string' && /^[A-Za-z0-9_-]{8,64}$/.test(id);
}
