import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, relative } from 'node:path';
import { buildApp, type App } from '../app.js';
import { configWith } from '../config.js';
import type { Database } from '../db/database.js';
import { projectPath } from '../paths.js';

/** The committed copy of the document; CI checks it is current (`npm run openapi:check`). */
export const DOCUMENT_FILE = projectPath('docs', 'openapi.json');

/** The document describes routes and schemas only: the app it is built from never reaches a database. */
function noDatabase(): Database {
  const refuse = async (): Promise<never> => {
    throw new Error('no database: this app was built only to describe its routes');
  };
  return { kind: 'pglite', query: refuse, exec: refuse, transaction: refuse, close: async () => {} };
}

/**
 * Builds the real application (routes, schemas, plugins) without a database and hands it to
 * `use`; nothing listens. The document does not depend on configuration.
 */
export async function withOfflineApp<T>(use: (app: App) => Promise<T>, db: Database = noDatabase()): Promise<T> {
  const config = configWith({ secret: randomBytes(32), scryptLogN: 10, poolSize: 1 });
  const app = await buildApp({ config, db, logger: false });
  try {
    await app.server.ready();
    return await use(app);
  } finally {
    await app.server.close();
  }
}

/** The document exactly as it is committed: 2-space JSON and a final newline. */
export async function renderDocument(): Promise<string> {
  return withOfflineApp(async ({ server }) => JSON.stringify(server.swagger(), null, 2) + '\n');
}

/** `--check`: exit 1 when the committed file differs from the generated one; otherwise rewrite it. */
export async function runOpenApiCommand(argv: readonly string[], out: NodeJS.WritableStream = process.stdout): Promise<number> {
  const check = argv.includes('--check');
  const file = DOCUMENT_FILE;
  const shown = relative(process.cwd(), file) || file;
  const text = await renderDocument();
  let current: string | null = null;
  try {
    current = readFileSync(file, 'utf8');
  } catch {
    current = null;
  }
  if (check) {
    if (current === text) {
      out.write(`${shown} is up to date\n`);
      return 0;
    }
    process.stderr.write(
      `${shown} is ${current === null ? 'missing' : 'stale'}: the routes' schemas changed; run \`npm run openapi\` and commit it\n`,
    );
    return 1;
  }
  if (current === text) {
    out.write(`${shown} unchanged\n`);
    return 0;
  }
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
  out.write(`wrote ${shown}\n`);
  return 0;
}
