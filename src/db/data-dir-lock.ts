import { createHash, randomBytes } from 'node:crypto';
import { linkSync, lstatSync, renameSync, statSync, unlinkSync } from 'node:fs';
import net from 'node:net';
import { basename, dirname } from 'node:path';

/**
 * PGlite is a single-process database: two processes on one data folder would corrupt it, so
 * the folder is locked to one process (the server, or a CLI import) with a lock the operating
 * system keeps, never a pid file: a pid file cannot be taken over atomically when its owner
 * died, and a recycled pid makes a dead owner look alive.
 *
 * - Linux: a listening Unix socket in the abstract namespace, named after the folder's device
 *   and inode (the same folder under any path or symlink gets the same name). Binding a name is
 *   atomic, so exactly one process wins; the kernel frees it when the process ends, however it
 *   ends, so there is nothing stale to detect or clean up.
 * - Windows: a named pipe, which the kernel likewise owns and frees.
 * - Elsewhere: a Unix socket file at `lockFile`. A socket file nobody listens on is stale; it is
 *   taken over by renaming it away (only one process can) and checking that what was moved
 *   is the dead socket before binding anew.
 *
 * Whoever connects to the lock is told the holder's pid, for the "in use" message.
 * Resolves with the function that releases the lock.
 */
export async function lockDataDir(lockFile: string, platform: NodeJS.Platform | 'socket-file' = process.platform): Promise<() => void> {
  const folder = dirname(lockFile);
  if (platform === 'linux' || platform === 'win32') {
    const { dev, ino } = statSync(folder, { bigint: true });
    const id = createHash('sha256').update(`${dev}:${ino}:${basename(lockFile)}`).digest('hex').slice(0, 32);
    const name = platform === 'linux' ? `\0bookstore-data-dir-${id}` : `\\\\?\\pipe\\bookstore-data-dir-${id}`;
    const server = await listen(name);
    if (server) return release(server);
    throw await inUse(folder, name);
  }
  for (let attempt = 0; attempt < 5; attempt++) {
    const server = await listen(lockFile);
    if (server) return release(server);
    const holder = await holderPid(lockFile);
    if (holder !== undefined) throw inUseError(folder, holder);
    takeOverStale(lockFile);
  }
  throw await inUse(folder, lockFile);
}

/** The listening lock, or undefined when the name is taken. */
function listen(name: string): Promise<net.Server | undefined> {
  return new Promise((resolve, reject) => {
    const server = net.createServer((socket) => socket.end(`${process.pid}\n`));
    server.once('error', (err: NodeJS.ErrnoException) => (err.code === 'EADDRINUSE' ? resolve(undefined) : reject(err)));
    server.listen(name, () => {
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

/** The pid the holder answers with; undefined when nobody listens (a stale socket file). */
function holderPid(name: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = net.connect(name);
    let reply = '';
    const done = (pid: string | undefined) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(pid);
    };
    // A holder that accepted but is too busy to answer is still a holder.
    const timer = setTimeout(() => done('?'), 1000);
    socket.on('data', (chunk: Buffer) => (reply += chunk.toString()));
    socket.on('end', () => done(reply.trim() || '?'));
    socket.on('error', (err: NodeJS.ErrnoException) => done(err.code === 'ECONNREFUSED' || err.code === 'ENOENT' ? undefined : '?'));
  });
}

async function inUse(folder: string, name: string): Promise<Error> {
  return inUseError(folder, (await holderPid(name)) ?? '?');
}

function inUseError(folder: string, pid: string): Error {
  const by = pid === '?' ? 'another process' : `process ${pid}`;
  return new Error(`the embedded database in ${folder} is in use by ${by}; stop it first (or use DATABASE_URL)`);
}

/**
 * Moves a stale socket file out of the way. Two processes may both find it stale: only one
 * rename succeeds, and if what got moved turns out to be a live socket (someone took over in
 * between), it is linked back where it was.
 */
function takeOverStale(lockFile: string): void {
  let stale: bigint;
  try {
    stale = lstatSync(lockFile, { bigint: true }).ino;
  } catch {
    return; // already gone
  }
  const aside = `${lockFile}.${process.pid}.${randomBytes(4).toString('hex')}.stale`;
  try {
    renameSync(lockFile, aside);
  } catch {
    return; // someone else moved it
  }
  if (lstatSync(aside, { bigint: true }).ino !== stale) {
    try {
      linkSync(aside, lockFile);
    } catch {
      /* a third process bound meanwhile: it holds the lock */
    }
  }
  unlinkSync(aside);
}
