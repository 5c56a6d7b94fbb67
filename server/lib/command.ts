/** One `kinko <name>` command (`run` returns the exit code, or -1 to keep the process running: serve): each domain's `cli.ts` exports a `Record<string, Command>` that `server/cli.ts` gathers. */
export type Command = { summary: string; run: (args: string[]) => Promise<number> };
