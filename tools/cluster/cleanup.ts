import { existsSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { cleanupJournal, Journal } from './journal.js';

/**
 * `node build/tools/cluster/cleanup.js STATE_DIR`: removes everything the journal in STATE_DIR
 * names, then the folder. The bash entry runs it on exit, after the harness, so a harness that
 * was killed (SIGKILL, out of memory) still leaves nothing behind; after a clean run it finds
 * nothing left to do.
 */
async function main(): Promise<void> {
  const dir = process.argv[2];
  if (!dir) {
    process.stderr.write('usage: cleanup.js STATE_DIR\n');
    process.exit(2);
  }
  const root = resolve(dir);
  if (existsSync(`${root}/journal`)) {
    await cleanupJournal(new Journal(`${root}/journal`), (line) => process.stderr.write(`${line}\n`));
  }
  rmSync(root, { recursive: true, force: true });
}

void main();
