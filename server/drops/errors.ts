import { AppError, BadRequest } from '../http/errors.js';

/**
 * The ways an upload is refused. Each carries an i18n key under `drops.errors`
 * with a plain Japanese message that says what to do next; the one error
 * handler turns them into the page or JSON.
 */

/** 413: a file over the size limit, too many files or parts in one request. */
export class UploadTooLarge extends AppError {
  constructor(messageKey: 'drops.errors.fileTooLarge' | 'drops.errors.tooManyFiles' | 'drops.errors.tooManyParts', params?: Record<string, string | number>) {
    super(413, messageKey, params);
  }
}

/** 415: a file that is neither an OpenPGP message to the office key nor an allowed plain type. */
export class UploadRefusedType extends AppError {
  constructor(
    messageKey:
      | 'drops.errors.unsupportedType'
      | 'drops.errors.typeMismatch'
      | 'drops.errors.notForOffice'
      | 'drops.errors.armored',
    params?: Record<string, string | number>,
  ) {
    super(415, messageKey, params);
  }
}

/** 400: the request body could not be read as a well-formed upload. */
export class UploadMalformed extends BadRequest {
  constructor(
    messageKey:
      | 'drops.errors.malformed'
      | 'drops.errors.notMultipart'
      | 'drops.errors.noFile'
      | 'drops.errors.noName'
      | 'drops.errors.empty'
      | 'drops.errors.brokenMessage' = 'drops.errors.malformed',
  ) {
    super(messageKey);
  }
}

/**
 * The client went away mid-upload (connection closed, socket destroyed,
 * server timeout). Nobody is left to answer, so routes end the response
 * without a body; everything the request stored is removed.
 */
export class ClientGone extends Error {
  constructor() {
    super('client went away during the upload');
    this.name = 'ClientGone';
  }
}
