/**
 * What the console's forms give a service once `validate(schema)` has read
 * them (the schemas: schema.ts), and the shape of ids in its paths.
 */
export interface CompanyForm {
  name: string;
  contactEmail: string;
}

export interface StaffForm {
  displayName: string;
  loginId: string;
  email: string;
}

/** Login IDs people type from paper: lower-case letters, digits and . _ - (3 to 32). */
export const LOGIN_ID = /^[a-z0-9][a-z0-9._-]{2,31}$/;

/** Ids in paths are random base64url text; anything else (`..%2f`, NUL, 10 kB) is answered 404 before any query. */
export function looksLikeId(id: unknown): id is string {
  return typeof id === 'string' && /^[A-Za-z0-9_-]{8,64}$/.test(id);
}
