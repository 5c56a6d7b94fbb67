#!/usr/bin/env node
// Entry point of the `kinko` command (npm start, npx kinko …). The sources are
// TypeScript; tsx compiles them in memory at start-up, so a checkout runs as is.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../server/cli.ts');
await main(process.argv.slice(2));
