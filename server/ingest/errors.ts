import { AppError, Conflict } from '../http/errors.js';

/**
 * Failures of the ingest flow a person can act on. Each carries an i18n key
 * under `ingestFlow.errors.*`; none ever carries file contents or a number.
 */

/** Somebody else is ingesting this drop: says who and since when. */
export class IngestBusy extends Conflict {
  constructor(
    readonly holderName: string,
    readonly since: string,
  ) {
    super('ingestFlow.errors.busy', { name: holderName, since });
  }
}

/** The drop is no longer waiting for ingest (already ingested or destroyed). */
export class DropNotIngestable extends Conflict {
  constructor() {
    super('ingestFlow.errors.notIngestable');
  }
}

/**
 * The last attempt could not read this drop's file (issue 12): kinko does not
 * read it again unless a key holder asks for it deliberately ("read again").
 */
export class DropUnreadable extends Conflict {
  constructor(reason: string) {
    super('ingestFlow.unreadable.refused', { reason });
  }
}

/**
 * The preview is not in this process's memory (expired, another instance,
 * restarted, or a newer attempt replaced it): start again.
 */
export class PreviewGone extends AppError {
  constructor() {
    super(410, 'ingestFlow.errors.previewGone');
  }
}

/** The form was made for an earlier state of the preview (columns re-chosen since). */
export class PreviewChanged extends Conflict {
  constructor() {
    super('ingestFlow.errors.previewChanged');
  }
}
