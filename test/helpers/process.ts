import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { PROJECT_ROOT } from '../../src/paths.js';
import { createScratchDatabase } from './server.js';

/** A TCP port nobody listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The database a spawned server uses: a fresh PostgreSQL database, or PGlite in its data folder. */
export async function serverDatabase(prefix: string): Promise<{ env: Record<string, string>; url: string | undefined; drop(): Promise<void> }> {
  const url = process.env.DATABASE_URL;
  if (!url) return { env: {}, url: undefined, drop: async () => {} };
  const scratch = await createScratchDatabase(url, prefix);
  return { env: { DATABASE_URL: scratch.url }, url: scratch.url, drop: scratch.drop };
}

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  port: number;
  output(): string;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
}

/** Environment of a spawned server: cheap password hashing, quiet logs, no inherited DATABASE_URL unless given. */
function serverEnv(dataDir: string, port: number, env: Record<string, string>): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    BOOKSTORE_DATA_DIR: dataDir,
    BOOKSTORE_SCRYPT_LOG_N: '10',
    LOG_LEVEL: 'warn',
    ...env,
  };
  if (!env.DATABASE_URL) delete out.DATABASE_URL;
  return out;
}

/** Starts `node build/src/main.js` (what `npm start` runs) without waiting for it. */
export function launchServer(dataDir: string, env: Record<string, string>, port: number): ServerProcess {
  const child = spawn(process.execPath, ['--enable-source-maps', 'build/src/main.js'], {
    cwd: PROJECT_ROOT,
    env: serverEnv(dataDir, port, env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, url: `http://127.0.0.1:${port}`, port, output: () => output, exited };
}

/** The real server process on a free (or the given) port; resolves once it answers. */
export async function spawnServer(dataDir: string, env: Record<string, string> = {}, port?: number): Promise<ServerProcess> {
  const server = launchServer(dataDir, env, port ?? (await freePort()));
  const deadline = Date.now() + 90_000; // a new embedded folder runs initdb: slow on a busy machine
  for (;;) {
    if (server.child.exitCode !== null) throw new Error(`server exited with ${server.child.exitCode}:\n${server.output()}`);
    try {
      if ((await fetch(`${server.url}/healthz`)).status === 200) return server;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      server.child.kill('SIGKILL');
      throw new Error(`server did not start:\n${server.output()}`);
    }
    await sleep(50);
  }
}

/** Runs a server that is expected to refuse to start; its exit code and output. */
export async function failedStart(dataDir: string, env: Record<string, string> = {}): Promise<{ code: number | null; output: string }> {
  const server = launchServer(dataDir, env, await freePort());
  const timer = setTimeout(() => server.child.kill('SIGKILL'), 60_000);
  const code = await server.exited;
  clearTimeout(timer);
  return { code, output: server.output() };
}

export async function stopServer(server: ServerProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return server.child.exitCode;
  server.child.kill(signal);
  return server.exited;
}
