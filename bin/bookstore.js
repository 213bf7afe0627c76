#!/usr/bin/env node
// The `bookstore` command: registers tsx so the TypeScript sources run as they are, then hands
// the arguments to src/cli/main.ts. Exit code: 0 ok, 1 failed, 2 wrong usage.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
