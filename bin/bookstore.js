#!/usr/bin/env node
// The `bookstore` command: runs the compiled CLI (build/src/cli/main.js, made by `npm run build`).
// Exit code: 0 ok, 1 failed, 2 wrong usage.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';

const entry = new URL('../build/src/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  console.error('bookstore: not built yet: run `npm run build` (or `npm start`) in the checkout first');
  process.exit(1);
}
const args = process.argv.slice(2);

// `import` runs in a child process started with memory settings a process cannot change once
// running: a small young generation (V8 otherwise lets it grow to tens of MB of dead cover
// copies), gc() for a collection between batches (src/cli/import.ts), and glibc's default mmap
// threshold kept fixed (otherwise freeing one large buffer, such as the database's code, raises
// it, and mid-sized cover buffers then fragment the heap).
// Measured in README, Large catalogues.
if (args[0] === 'import' && process.env.BOOKSTORE_IMPORT_CHILD !== '1') {
  const child = spawn(process.execPath, ['--max-semi-space-size=2', '--expose-gc', ...process.execArgv, fileURLToPath(import.meta.url), ...args], {
    // Its own process group: a terminal's Ctrl-C reaches this process only, and is passed on once.
    detached: true,
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    env: { MALLOC_MMAP_THRESHOLD_: '131072', ...process.env, BOOKSTORE_IMPORT_CHILD: '1' },
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.once('error', (err) => {
    console.error(`bookstore import: cannot start: ${err.message}`);
    process.exit(1);
  });
  child.once('exit', (code, signal) => process.exit(code ?? 128 + (constants.signals[signal] ?? 0)));
} else {
  if (process.env.BOOKSTORE_IMPORT_CHILD === '1' && process.channel) {
    // This process outlives a parent killed outright (SIGKILL): stop at once too, as the parent did.
    process.channel.unref();
    process.once('disconnect', () => process.kill(process.pid, 'SIGKILL'));
  }
  const { main } = await import(entry.href);
  const code = await main(args);
  process.exitCode = code;
  // A running server keeps the process alive; anything else ends now, even if a library left a
  // handle open (e.g. a database pool after a failed start).
  if (!(args[0] === 'serve' && code === 0)) setTimeout(() => process.exit(code), 1000).unref();
}
