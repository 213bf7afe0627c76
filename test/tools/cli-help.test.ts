import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { COMMAND_NAMES } from '../../src/cli/main.js';
import { PROJECT_ROOT } from '../../src/paths.js';

const BIN = path.join(PROJECT_ROOT, 'bin', 'bookstore.js');

/** The `bookstore` command as a user runs it: its own process, no database needed for help. */
function bookstore(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: PROJECT_ROOT, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stdout, stderr });
    });
  });
}

/** What a usage text must not show a user: how the command is implemented. */
function assertUserFacing(text: string): void {
  assert.doesNotMatch(text, /build\/tools|\.js\b|node_modules|^\s+at /m, 'no internal paths or stack frames');
}

describe('bookstore --help and bench usage', () => {
  test('bookstore --help lists every command, and the README\'s "Command line" section does too', async () => {
    const { code, stdout } = await bookstore('--help');
    assert.equal(code, 0);
    for (const command of COMMAND_NAMES) assert.match(stdout, new RegExp(`^  ${command}\\b`, 'm'), `--help lists ${command}`);
    assert.match(stdout, /^ {2}bench search\b/m);

    const readme = readFileSync(path.join(PROJECT_ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('### Command line'), readme.indexOf('### Metrics, health and logs'));
    for (const command of [...COMMAND_NAMES, 'bench search']) assert.ok(section.includes(`| \`${command}`), `README lists ${command}`);
    for (const option of ['--workers', '--role', '--data-dir', '--database-url', '--check', '--restart']) assert.ok(section.includes(option), option);
  });

  test('bookstore bench --help (and -h, help bench) prints the load generator\'s usage', async () => {
    for (const args of [['bench', '--help'], ['bench', '-h'], ['help', 'bench']]) {
      const { code, stdout, stderr } = await bookstore(...args);
      assert.equal(code, 0, args.join(' '));
      assert.match(stdout, /^Usage: bookstore bench \[options\]/, args.join(' '));
      assert.match(stdout, /--concurrency N/);
      assert.match(stdout, /--url URL/);
      assertUserFacing(stdout);
      assert.equal(stderr, '');
    }
  });

  test('bookstore bench search --help prints its usage; a wrong option gets the usage, not a stack trace', async () => {
    for (const args of [['bench', 'search', '--help'], ['bench', 'search', '-h'], ['help', 'bench', 'search']]) {
      const { code, stdout } = await bookstore(...args);
      assert.equal(code, 0, args.join(' '));
      assert.match(stdout, /^Usage: bookstore bench search \[options\]/, args.join(' '));
      assertUserFacing(stdout);
    }
    for (const args of [['bench', 'search', '--bogus'], ['bench', '--bogus']]) {
      const { code, stdout, stderr } = await bookstore(...args);
      assert.equal(code, 2, args.join(' '));
      assert.equal(stdout, '');
      assert.match(stderr, /^bookstore bench: .*'--bogus'|^bookstore bench search: .*'--bogus'/, args.join(' '));
      assert.match(stderr, /Usage: bookstore bench/);
      assertUserFacing(stderr);
    }
  });
});
