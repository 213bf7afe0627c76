import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import net from 'node:net';
import { basename, dirname } from 'node:path';

/**
 * PGlite is a single-process database: two processes on one data folder would corrupt it, so
 * the folder is locked to one process (the server, or a CLI import) with a lock the operating
 * system keeps, never a pid file: a pid file cannot be taken over atomically when its owner
 * died, and a recycled pid makes a dead owner look alive.
 *
 * The lock is a listening socket whose name is derived from the folder's device and inode (the
 * same folder under any path or symlink gets the same name): binding a name is atomic, so
 * exactly one process wins, and the kernel frees it when the process ends, however it ends,
 * so there is nothing stale to detect or clean up.
 * - Linux: a Unix socket in the abstract namespace (no file anywhere).
 * - Windows: a named pipe.
 * - Elsewhere (macOS, BSD: no abstract namespace, and a socket file left by a crash could not
 *   be taken over without a race): a TCP port on 127.0.0.1 between 20000 and 32767, below the
 *   ephemeral ranges. Another program on that port is told apart by the holder's greeting.
 *
 * Whoever connects to the lock is greeted with the folder's id and the holder's pid, for the
 * "in use" message. Resolves with the function that releases the lock. `lockFile` names the
 * lock: its folder, and its file name to tell several locks in one folder apart.
 */
export async function lockDataDir(lockFile: string, platform: NodeJS.Platform | 'tcp' = process.platform): Promise<() => void> {
  const folder = dirname(lockFile);
  const { dev, ino } = statSync(folder, { bigint: true });
  const id = createHash('sha256').update(`${dev}:${ino}:${basename(lockFile)}`).digest('hex').slice(0, 32);
  const greeting = `bookstore-data-dir-lock ${id} ${process.pid}\n`;
  const address: net.ListenOptions =
    platform === 'linux'
      ? { path: `\0bookstore-data-dir-${id}` }
      : platform === 'win32'
        ? { path: `\\\\?\\pipe\\bookstore-data-dir-${id}` }
        : { host: '127.0.0.1', port: 20_000 + (parseInt(id.slice(0, 8), 16) % 12_768), exclusive: true };
  const server = await listen(address, greeting);
  if (server) return release(server);
  const reply = await greetingOf(address);
  const [word, holderId, pid] = reply?.trim().split(' ') ?? [];
  if (reply !== undefined && (word !== 'bookstore-data-dir-lock' || holderId !== id)) {
    const where = address.port !== undefined ? `port ${address.port} on 127.0.0.1` : 'socket';
    throw new Error(`cannot lock the embedded database in ${folder}: its lock ${where} is taken by another program`);
  }
  const by = pid ? `process ${pid}` : 'another process';
  throw new Error(`the embedded database in ${folder} is in use by ${by}; stop it first (or use DATABASE_URL)`);
}

/** The listening lock, or undefined when the name is taken. */
function listen(address: net.ListenOptions, greeting: string): Promise<net.Server | undefined> {
  return new Promise((resolve, reject) => {
    const server = net.createServer((socket) => socket.end(greeting));
    server.once('error', (err: NodeJS.ErrnoException) => (err.code === 'EADDRINUSE' ? resolve(undefined) : reject(err)));
    server.listen(address, () => {
      server.unref(); // the lock must not keep the process alive
      resolve(server);
    });
  });
}

function release(server: net.Server): () => void {
  let released = false;
  return () => {
    if (released) return;
    released = true;
    server.close();
  };
}

/** What the holder says when connected to; undefined when it cannot be reached. */
function greetingOf(address: net.ListenOptions): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = address.path !== undefined ? net.connect(address.path) : net.connect(address.port!, address.host);
    let reply = '';
    const done = (text: string | undefined) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(text);
    };
    // A holder too busy to answer is still a holder.
    const timer = setTimeout(() => done(reply || undefined), 1000);
    socket.on('data', (chunk: Buffer) => (reply += chunk.toString()));
    socket.on('end', () => done(reply));
    socket.on('error', () => done(undefined));
  });
}
