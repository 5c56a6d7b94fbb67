import type { Deps } from '../deps.js';

/**
 * Called by main.ts after the server listens: on an install without a
 * director, issue a one-time setup token and print the setup link (filled in
 * by the setup work).
 */
export async function announceSetup(_deps: Deps): Promise<void> {}
