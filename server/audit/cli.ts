import type { Command } from '../cli.js';

/** audit:verify, audit:checkpoint (filled in by the audit work). */
export const auditCommands: Record<string, Command> = {};
