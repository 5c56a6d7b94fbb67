import { z } from 'zod';

// Per process, so it is read when this module loads (loadConfig validates the same variable and stops start-up on a bad value).
export const parseMaxConcurrent = z.coerce.number({ error: 'a whole number from 1 to 64' }).int('a whole number from 1 to 64').min(1).max(64);

/**
 * Every limit kinko enforces lives here, once. Tests read these numbers from
 * here instead of repeating them (security.md: "numbers are defaults kept in
 * one config module").
 */
export const limits = Object.freeze({
  upload: Object.freeze({
    maxFileBytes: 100 * 1024 * 1024,
    maxFilesPerRequest: 20,
    maxFieldBytes: 64 * 1024,
    maxFields: 50,
    maxParts: 100,
  }),
  unpack: Object.freeze({
    maxTotalBytes: 200 * 1024 * 1024,
    maxEntries: 1000,
    maxRatio: 100,
  }),
  parse: Object.freeze({
    maxMillis: 30_000,
    maxMemoryMiB: 512,
    maxCellChars: 32_767,
    /**
     * Rows per sheet (or PDF table) an ingest reads; a longer one is refused
     * with a message naming this number (ingest.errors.tooManyRows). Issue
     * 17: a roster of 100,000 employees (≈ 250,000 numbers with their
     * dependents) is accepted by default — one row per employee, plus a
     * header and title rows, with 10% to spare — and bench/ingest shows it
     * fits the parse budget (time, the 512 MiB parse process) and the
     * server's 1 GiB. A sheet that claims a million rows is still refused
     * before it is read (zip-guard.ts checks the cell references first).
     */
    maxRows: 110_000,
    /** Parse workers (each up to maxMemoryMiB) running at once in this process; env KINKO_PARSE_MAX_CONCURRENT. */
    maxConcurrent: parseMaxConcurrent.safeParse(process.env.KINKO_PARSE_MAX_CONCURRENT).data ?? 2,
  }),
  login: Object.freeze({
    accountFailures: 5,
    accountWindowMs: 15 * 60_000,
    accountLockMs: 15 * 60_000,
    hardLockFailures: 20,
    ipFailures: 30,
    ipWindowMs: 10 * 60_000,
    ipBlockMs: 30 * 60_000,
  }),
  /**
   * Key passphrase entry, per key holder, on every form that takes it (issue
   * 12 item 3): the login throttle's shape. The hard lock comes sooner than a
   * login's: the holder is already signed in with password and TOTP, so a run
   * of wrong passphrases is someone else at their desk or in their session,
   * guessing at the office key itself. A lock alerts the directors.
   */
  keyPassphrase: Object.freeze({
    holderFailures: 5,
    windowMs: 15 * 60_000,
    lockMs: 15 * 60_000,
    hardLockFailures: 10,
  }),
  totp: Object.freeze({ digits: 6, stepSeconds: 30, window: 1 }),
  session: Object.freeze({
    officeIdleMs: 15 * 60_000,
    clientIdleMs: 30 * 60_000,
    absoluteMs: 12 * 60 * 60_000,
    stepUpMs: 5 * 60_000,
  }),
  password: Object.freeze({ minLength: 12, initialTtlMs: 72 * 60 * 60_000 }),
  reveal: Object.freeze({ perHour: 50 }),
  /** A local storage folder with less free space than this is reported failing (health, doctor). */
  storage: Object.freeze({ minFreeBytes: 8 * 1024 * 1024 }),
  setupTokenTtlMs: 30 * 60_000,
  /** Collection from the employee (issue 18): one-time links and the guessing brake on them. */
  collect: Object.freeze({
    linkTtlMs: 14 * 24 * 60 * 60_000,
    maxPeoplePerRequest: 50,
    guessFailures: 20,
    guessWindowMs: 10 * 60_000,
    guessBlockMs: 30 * 60_000,
    reasonMaxChars: 500,
    noticeMaxChars: 4000,
    /** Each identity image as chosen or taken (checked in the browser before encrypting). */
    maxImageBytes: 10 * 1024 * 1024,
    maxImages: 4,
    maxFamily: 10,
    /** One submission: the encrypted message of the form and its images. */
    maxSubmissionBytes: 64 * 1024 * 1024,
    /**
     * The longest the office may keep a confirmed submission's identity images
     * (its policy; default 0 = destroyed at confirmation). 番号法 asks for no
     * copy of 本人確認書類 at all, and a copy of the card's back is a second
     * copy of the number beside the vault (20条: kept only while a 事務 needs
     * it). What an office may still need them for is the filings made from
     * the confirmation — 資格取得届 within 5 days, 雇用保険 by the 10th of the
     * next month — and a 返戻 of one of those, which comes within weeks: 90
     * days covers that with margin. That the check was done (who, when, which
     * documents) stays in the audit trail without the images.
     */
    imageKeepMaxDays: 90,
    /** A confirmation killed between storing the kept images and committing leaves them `storing`; after this long no confirmation is still running. */
    imageStoringStaleMs: 60 * 60_000,
  }),
  downloadUrlTtlSeconds: 300,
  /** Sealed year-end bundles (issue 15 §6–7). */
  bundles: Object.freeze({
    /** A numbered bundle (税務署, 市区町村) is destroyed this long after it was built, or when marked 提出済. */
    numberedTtlMs: 30 * 24 * 60 * 60_000,
    /** The 本人交付 bundle carries no number and stays longer. */
    selfCopyTtlMs: 365 * 24 * 60 * 60_000,
    /** A build reading more people's numbers than this is the director's to make (more than 100 is a 重大な事態 if leaked). */
    directorAbovePersons: 100,
  }),
});

export type Limits = typeof limits;
