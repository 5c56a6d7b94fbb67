import type { Command } from '../cli.js';

/** setup: the first-run setup from a terminal (filled in by the setup work). */
export const setupCommands: Record<string, Command> = {};
