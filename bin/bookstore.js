#!/usr/bin/env node
// The `bookstore` command: runs the compiled CLI (build/src/cli/main.js, made by `npm run build`).
// Exit code: 0 ok, 1 failed, 2 wrong usage.
import { existsSync } from 'node:fs';

const entry = new URL('../build/src/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  console.error('bookstore: not built yet: run `npm run build` (or `npm start`) in the checkout first');
  process.exit(1);
}
const { main } = await import(entry.href);
const args = process.argv.slice(2);
const code = await main(args);
process.exitCode = code;
// A running server keeps the process alive; anything else ends now, even if a library left a
// handle open (e.g. a database pool after a failed start).
if (!(args[0] === 'serve' && code === 0)) setTimeout(() => process.exit(code), 1000).unref();
