#!/usr/bin/env node
// The `bookstore` command: registers tsx so the TypeScript sources run as they are, then hands
// the arguments to src/cli/main.ts. Exit code: 0 ok, 1 failed, 2 wrong usage.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
const args = process.argv.slice(2);
const code = await main(args);
process.exitCode = code;
// A running server keeps the process alive; anything else ends now, even if a library left a
// handle open (e.g. a database pool after a failed start).
if (!(args[0] === 'serve' && code === 0)) setTimeout(() => process.exit(code), 1000).unref();
