import { AppError } from '../lib/app-error.js';

/**
 * The one error family. Services throw these; the single error handler turns
 * them into a page or JSON with the right status. `messageKey` is an i18n key
 * (locales/*.json, "errors.*") so every failure a person can hit has a plain
 * Japanese message, with English by choice.
 */
export { AppError };

export class BadRequest extends AppError {
  constructor(messageKey = 'errors.badRequest', params?: Record<string, string | number>) {
    super(400, messageKey, params);
  }
}
export class Unauthorized extends AppError {
  constructor(messageKey = 'errors.unauthorized') {
    super(401, messageKey);
  }
}
export class Forbidden extends AppError {
  constructor(messageKey = 'errors.forbidden') {
    super(403, messageKey);
  }
}
/** Also what another company's ids answer (P7): indistinguishable from a random id. */
export class NotFound extends AppError {
  constructor() {
    super(404, 'errors.notFound');
  }
}
export class Conflict extends AppError {
  constructor(messageKey = 'errors.conflict', params?: Record<string, string | number>) {
    super(409, messageKey, params);
  }
}
/** Something that existed and was destroyed on purpose (an expired bundle): a page that says so, not a 404. */
export class Gone extends AppError {
  constructor(messageKey = 'errors.gone', params?: Record<string, string | number>) {
    super(410, messageKey, params);
  }
}
export class PayloadTooLarge extends AppError {
  constructor(params?: Record<string, string | number>) {
    super(413, 'errors.payloadTooLarge', params);
  }
}
export class UnsupportedType extends AppError {
  constructor(params?: Record<string, string | number>) {
    super(415, 'errors.unsupportedType', params);
  }
}
export class TooManyRequests extends AppError {
  constructor(messageKey = 'errors.tooManyRequests') {
    super(429, messageKey);
  }
}
export class ServiceUnavailable extends AppError {
  constructor(messageKey = 'errors.unavailable') {
    super(503, messageKey);
  }
}

/**
 * 507: a disk (or quota, or the SQLite file) is full. Said plainly, because
 * the person can do nothing about it but wait or call the office, and the
 * operator must see the cause: `code` keeps the system's own name (ENOSPC)
 * for the log.
 */
export class InsufficientStorage extends AppError {
  constructor(readonly code: string) {
    super(507, 'storage.full');
  }
}

const OUT_OF_SPACE = new Set(['ENOSPC', 'EDQUOT', 'SQLITE_FULL']);

/** The error, or any error it wraps, says the storage is full. */
export function outOfSpaceCode(err: unknown): string | undefined {
  for (let e = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && OUT_OF_SPACE.has(code)) return code;
  }
  return undefined;
}
