import { execFile } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion; never throws, so callers decide what a failure means. */
export function execQuiet(cmd: string, args: readonly string[], env?: NodeJS.ProcessEnv, timeoutMs = 120_000): Promise<ExecResult> {
  return new Promise((resolve) => {
    execFile(cmd, [...args], { env: env ?? process.env, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/** Runs a command and throws with its stderr when it fails: for setup steps that must work. */
export async function exec(cmd: string, args: readonly string[], env?: NodeJS.ProcessEnv, timeoutMs?: number): Promise<string> {
  const r = await execQuiet(cmd, args, env, timeoutMs);
  if (r.code !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.code}): ${(r.stderr || r.stdout).trim().slice(0, 2000)}`);
  }
  return r.stdout;
}

/** Thrown by a waitFor probe to stop waiting at once (the awaited process has exited). */
export class FatalError extends Error {}

/** Polls `probe` until it returns true; throws naming `what` after `timeoutMs`, or a probe's FatalError at once. */
export async function waitFor(what: string, timeoutMs: number, probe: () => Promise<boolean> | boolean, everyMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      if (await probe()) return;
    } catch (err) {
      if (err instanceof FatalError) throw err;
      lastError = err;
    }
    if (Date.now() > deadline) {
      const why = lastError instanceof Error ? `: ${lastError.message}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`);
    }
    await delay(everyMs);
  }
}

export const sleep = (ms: number): Promise<void> => delay(ms);
