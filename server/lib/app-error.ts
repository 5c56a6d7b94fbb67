/**
 * The base of kinko's one error family (the named errors are in
 * server/http/errors.ts). It lives here, apart from HTTP, so that code that
 * runs in a worker or a child process (the parser) can throw a member of the
 * family without importing anything of the web tier.
 */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly messageKey: string,
    readonly params: Record<string, string | number> = {},
  ) {
    super(messageKey);
    this.name = new.target.name;
  }
}
