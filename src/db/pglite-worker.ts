import { parentPort, workerData } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';
import { PrivateNodeFS } from './pglite-private-fs.js';
import { ownTransfer } from './transfer.js';

// The thread the embedded database runs on (db/pglite.ts): PostgreSQL's work (planning, index
// upkeep, writing) never holds the server's event loop. It only moves protocol bytes: a request
// is one batch of frontend messages, the answer the backend's bytes, both transferred, not copied.

export interface PgliteThreadOptions {
  /** The data folder (pgdata); none: in memory. */
  path?: string;
  startParams: string[];
}

export type PgliteThreadRequest = { id: number; message: Uint8Array; syncToFs: boolean } | { id: number; close: true };
export type PgliteThreadReply =
  | { started: true }
  | { startFailed: string }
  | { id: number; raw: Uint8Array }
  | { id: number; failed: string }
  | { id: number; closed: true };

const port = parentPort!;
const { path, startParams } = workerData as PgliteThreadOptions;
const post = (reply: PgliteThreadReply, transfer: ArrayBuffer[] = []) => port.postMessage(reply, transfer);

let db: PGlite;
try {
  db = await PGlite.create({ startParams, ...(path === undefined ? {} : { fs: new PrivateNodeFS(path) }) });
  post({ started: true });
} catch (err) {
  post({ startFailed: (err as Error).message });
  process.exit(1); // ends this thread only
}

port.on('message', (request: PgliteThreadRequest) => {
  // close() takes PGlite's lock itself, after any statement still running.
  const work = 'close' in request ? closeDatabase(request.id) : db.runExclusive(() => execute(request));
  work.catch((err: Error) => post({ id: request.id, failed: err.message }));
});

async function execute({ id, message, syncToFs }: { id: number; message: Uint8Array; syncToFs: boolean }): Promise<void> {
  const raw = await db.execProtocolRaw(message, { syncToFs });
  post({ id, raw }, ownTransfer(raw));
}

async function closeDatabase(id: number): Promise<void> {
  await db.close();
  post({ id, closed: true });
}
