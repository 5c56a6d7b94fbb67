import { AppError } from '../lib/app-error.js';

/**
 * An object could not be shown gone after deleting it: no record is written
 * (P5) and the caller's state stays as it was, so recovery or a retry tries
 * again. The i18n key is the caller's (it names what was being disposed of).
 */
export class DisposalNotVerified extends AppError {
  constructor(messageKey: string) {
    super(503, messageKey);
  }
}
