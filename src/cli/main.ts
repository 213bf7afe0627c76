import { spawn } from 'node:child_process';
import path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ConfigError, loadConfig, type Config } from '../config.js';
import type { Database } from '../db/database.js';
import { migrate } from '../db/migrate.js';
import { openDatabase } from '../db/open-database.js';
import { PGLITE_BULK_LOAD_SETTINGS, type PgliteOptions } from '../db/pglite.js';
import { PACKAGE_VERSION, projectPath } from '../paths.js';
import { hashPassword } from '../security/passwords.js';
import { servicesFor, type Services } from '../services/index.js';
import { withTokenSecret } from '../services/server-secret.js';
import { createDemo, formatDemo } from './demo.js';
import { CatalogueReader } from './catalogue-reader.js';
import { generatePassword } from './catalogue-writer.js';
import { importCatalogue } from './import.js';
import { CliError, errorMessage, processIo, UsageError, type CliIo } from './io.js';

const VERSION = PACKAGE_VERSION;

const DATABASE_OPTIONS = `Database options:
  --data-dir DIR        embedded database (PGlite) folder; env BOOKSTORE_DATA_DIR, default ./data
  --database-url URL    use PostgreSQL instead; env DATABASE_URL (postgres://user@host:port/db)
  -h, --help            show this help`;

const HELP: Record<string, string> = {
  main: `bookstore ${VERSION}: online-bookstore backend (HTTP JSON API on PostgreSQL or embedded PGlite)

Usage: bookstore <command> [options]

Commands:
  serve                 start the HTTP server (default http://127.0.0.1:5000/)
  migrate               apply pending database migrations, then exit
  import <book.db>      import a course SQLite catalogue (book.db) into a store
  demo                  fill an empty database with a small demo catalogue and accounts
  bench [options]       run the order load generator against a running server
  bench search [opts]   run the search benchmark (PostgreSQL)
  openapi [--check]     write docs/openapi.json, or check that it is current
  help [command]        this text, or the options of a command (same as --help after it)

Options: -h, --help (this text), -v, --version (the version).
Run "bookstore <command> --help" for the options of a command.
Configuration comes from the environment: PORT, HOST, DATABASE_URL, BOOKSTORE_DATA_DIR, LOG_LEVEL,
BOOKSTORE_ORDER_TIMEOUT_S, BOOKSTORE_TOKEN_TTL_S, BOOKSTORE_SECRET, BOOKSTORE_SCRYPT_LOG_N.
With the embedded database, one process at a time may use a data folder: stop the server
before running migrate, import or demo on its folder (or use PostgreSQL).
`,
  serve: `Usage: bookstore serve [--port N] [--host ADDR] [--workers N] [--role all|api|worker] [--data-dir DIR | --database-url URL]

Starts the HTTP server: API, interactive docs at /docs, metrics at /metrics. Stops gracefully on
SIGTERM or SIGINT (finishes requests in flight, then closes the database); on SIGTERM it first
drains for BOOKSTORE_DRAIN_S seconds (/readyz says 503 while requests are still served).

Options:
  --port N              port to listen on; env PORT, default 5000
  --host ADDR           address to bind; env HOST, default 127.0.0.1
  --workers N           N server processes on the one port, restarted if one dies (PostgreSQL
                        only); env BOOKSTORE_WORKERS, default 1
  --role ROLE           all: API and background jobs (default); api: the API only, leaves
                        migrating to \`bookstore migrate\`; worker: the background jobs, serving only
                        /healthz, /readyz and /metrics; env BOOKSTORE_ROLE
${DATABASE_OPTIONS}
`,
  migrate: `Usage: bookstore migrate [--data-dir DIR | --database-url URL]

Creates or upgrades the database schema. A single server process (role all) does this itself
when it starts; with several processes it is the release step, run once before they start.

${DATABASE_OPTIONS}
`,
  import: `Usage: bookstore import <book.db> --seller ID --store ID [--stock N] [--password PW] [--restart]

Imports every book of a course catalogue (SQLite, table "book") into one store: tags (one per
line) become the tag list, the picture BLOB the book's cover. Creates the seller (with --password,
or a generated password that is printed once) and the store when they do not exist. Books the
store already lists are skipped, so running it again adds nothing twice. Books are searchable
as soon as their batch is committed.

Large catalogues (book_lx.db, gigabytes) are read from the file a batch at a time, so memory
stays bounded whatever the file's size; each batch is committed on its own. Progress shows
books/s, MB/s and the time left (a bar on a terminal, a line every 10% on a pipe).

Interrupted (Ctrl-C, kill, crash, power cut)? Run the same command again: it continues after the
last committed batch instead of reading everything again. Where it stopped is kept in
<data folder>/imports/ (--data-dir, also with PostgreSQL) and deleted when the import completes.
Ctrl-C stops after the batch in progress (a second Ctrl-C at once); --restart reads the whole
file again (books already listed are still skipped).

Options:
  --seller ID           the seller's user id (created when missing)
  --store ID            the store's id (created for the seller when missing)
  --stock N             stock level of each imported book; default 100
  --password PW         password for a seller the import creates; default: generated
  --batch N             books per transaction; default 50
  --restart             ignore where an interrupted import stopped; read the file from the start
${DATABASE_OPTIONS}
`,
  demo: `Usage: bookstore demo [--password PW] [--url URL]

Fills an EMPTY database with a demo: three sellers with a store each, about 50 Chinese and
English books, and a buyer with ¥10,000 on the account. Prints the user ids and passwords and a
few requests to try (search, login, order).

Options:
  --password PW         give every demo account this password; default: one generated per account
  --url URL             server address used in the printed examples; default http://127.0.0.1:5000
${DATABASE_OPTIONS}
`,
  openapi: `Usage: bookstore openapi [--check]

Writes the OpenAPI document of the server to docs/openapi.json. With --check, writes nothing and
exits 1 when the committed file is not what the current code generates (for CI).
`,
};

const DATABASE_ARGS = {
  'data-dir': { type: 'string' },
  'database-url': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

function parse<O extends NonNullable<ParseArgsConfig['options']>>(command: string, args: readonly string[], options: O) {
  try {
    return parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(`${command}: ${errorMessage(err).replace(/\. To specify a positional.*$/, '')}`);
  }
}

function positiveInt(command: string, name: string, value: string | undefined, fallback: number, min = 0): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > 2_147_483_647) {
    throw new UsageError(`${command}: --${name} must be a whole number${min > 0 ? ` ≥ ${min}` : ''}, got "${value}"`);
  }
  return Number(value);
}

/** The environment with --data-dir / --database-url applied. */
function envWith(io: CliIo, values: { 'data-dir'?: string | undefined; 'database-url'?: string | undefined }) {
  const env = { ...io.env };
  if (values['data-dir'] !== undefined) env.BOOKSTORE_DATA_DIR = values['data-dir'];
  if (values['database-url'] !== undefined) env.DATABASE_URL = values['database-url'];
  return env;
}

function configFrom(env: Record<string, string | undefined>): Config {
  try {
    return loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(`configuration error: ${err.message}`);
    throw err;
  }
}

function describeDatabase(config: Config): string {
  if (!config.databaseUrl) return `embedded PGlite in ${config.dataDir}`;
  const url = new URL(config.databaseUrl);
  if (url.password) url.password = '***';
  return `PostgreSQL at ${url.toString()}`;
}

/** The services on the configured database, for one command; the database is closed afterwards. */
async function withServices<T>(config: Config, use: (services: Services) => Promise<T>, embedded: PgliteOptions = {}): Promise<T> {
  return withDatabase(config, async (db) => use(servicesFor(await withTokenSecret(config, db), db)), embedded);
}

async function withDatabase<T>(config: Config, use: (db: Database) => Promise<T>, embedded: PgliteOptions = {}): Promise<T> {
  let db: Database;
  try {
    db = await openDatabase({ ...config, poolSize: Math.min(config.poolSize, 4) }, { embedded });
  } catch (err) {
    throw new CliError(`cannot open the database (${describeDatabase(config)}): ${errorMessage(err)}`);
  }
  try {
    return await use(db);
  } finally {
    await db.close().catch(() => {});
  }
}

async function serveCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse('serve', args, {
    ...DATABASE_ARGS,
    port: { type: 'string' },
    host: { type: 'string' },
    workers: { type: 'string' },
    role: { type: 'string' },
  });
  if (values.help) return help(io, 'serve');
  if (positionals.length > 0) throw new UsageError(`serve: unexpected argument "${positionals[0]}"`);
  // serve() reads its configuration from process.env, like `npm start`.
  const env = envWith(io, values);
  if (values.port !== undefined) env.PORT = String(positiveInt('serve', 'port', values.port, 5000));
  if (values.host !== undefined) env.HOST = values.host;
  if (values.workers !== undefined) env.BOOKSTORE_WORKERS = String(positiveInt('serve', 'workers', values.workers, 1, 1));
  if (values.role !== undefined) env.BOOKSTORE_ROLE = values.role;
  configFrom(env); // one clear line for a bad setting, before anything starts
  Object.assign(process.env, env);
  const { serve } = await import('../main.js');
  await serve();
  return 0;
}

async function migrateCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse('migrate', args, DATABASE_ARGS);
  if (values.help) return help(io, 'migrate');
  if (positionals.length > 0) throw new UsageError(`migrate: unexpected argument "${positionals[0]}"`);
  const config = configFrom(envWith(io, values));
  let db: Database;
  try {
    db = await openDatabase({ ...config, poolSize: 1 }, { migrate: false });
  } catch (err) {
    throw new CliError(`cannot open the database (${describeDatabase(config)}): ${errorMessage(err)}`);
  }
  try {
    const applied = await migrate(db).catch((err: unknown) => {
      throw new CliError(`migration failed (${describeDatabase(config)}): ${errorMessage(err)}`);
    });
    io.out.write(
      applied.length === 0
        ? `database is up to date (${describeDatabase(config)})\n`
        : `applied ${applied.length} migration(s) to ${describeDatabase(config)}: ${applied.join(', ')}\n`,
    );
    return 0;
  } finally {
    await db.close().catch(() => {});
  }
}

async function importCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse('import', args, {
    ...DATABASE_ARGS,
    seller: { type: 'string' },
    store: { type: 'string' },
    stock: { type: 'string' },
    password: { type: 'string' },
    batch: { type: 'string' },
    restart: { type: 'boolean' },
  });
  if (values.help) return help(io, 'import');
  if (positionals.length === 0) throw new UsageError('import: name the catalogue file, e.g. bookstore import book.db --seller s1 --store st1');
  if (positionals.length > 1) throw new UsageError(`import: one catalogue file at a time, got ${positionals.length}`);
  if (!values.seller) throw new UsageError('import: --seller ID is required');
  if (!values.store) throw new UsageError('import: --store ID is required');
  const stock = positiveInt('import', 'stock', values.stock, 100);
  const batchSize = positiveInt('import', 'batch', values.batch, 50, 1);
  const file = positionals[0]!;
  const config = configFrom(envWith(io, values));
  // The seller's password is hashed before the database opens: scrypt takes 32 MiB and more for
  // a moment, which on top of the embedded database was the import's peak memory.
  const password = values.password ?? generatePassword();
  const passwordHash = await hashPassword(password, config.scryptLogN);

  const catalogue = CatalogueReader.open(file); // a bad file fails before the database is touched

  // Ctrl-C (or SIGTERM) lets the batch in progress commit, so the next run resumes right after it.
  const stop = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (stop.signal.aborted) process.exit(130);
    io.err.write(`\nimport: ${signal}: stopping after the batch in progress (again to stop at once)\n`);
    stop.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await withServices(config, async (services) => {
      const result = await importCatalogue(services, catalogue, {
        sellerId: values.seller!,
        storeId: values.store!,
        stock,
        password,
        passwordHash,
        batchSize,
        progressStream: io.err,
        isTTY: io.isTTY,
        checkpointDir: path.join(config.dataDir, 'imports'),
        databaseId: databaseIdentity(config),
        restart: values.restart === true,
        signal: stop.signal,
      });
      const out: string[] = [];
      if (result.sellerCreated) {
        out.push(
          values.password !== undefined
            ? `created seller ${values.seller} with the given password`
            : `created seller ${values.seller} with password ${result.sellerPassword} (shown once: keep it)`,
        );
      }
      if (result.storeCreated) out.push(`created store ${values.store} for seller ${values.seller}`);
      for (const bad of result.invalidBooks.slice(0, 10)) out.push(`not imported: book "${bad.id.slice(0, 80)}": ${bad.reason}`);
      if (result.invalidBooks.length > 10) out.push(`… and ${result.invalid - 10} more books not imported`);
      const counts = `${result.skipped} skipped (already listed), ${result.invalid} invalid`;
      if (result.interrupted) {
        out.push(
          `interrupted: ${result.imported} of ${result.total} books imported into store ${values.store} so far, ${counts}; ` +
            'run the same command again to continue where it stopped',
        );
      } else {
        out.push(`imported ${result.imported} of ${result.total} books into store ${values.store}: ${counts}`);
      }
      io.out.write(out.join('\n') + '\n');
      return result.interrupted ? 130 : 0;
    }, { settings: PGLITE_BULK_LOAD_SETTINGS });
  } finally {
    catalogue.close();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** The database a checkpoint belongs to: the PostgreSQL URL without its password, or the embedded folder. */
function databaseIdentity(config: Config): string {
  if (!config.databaseUrl) return `embedded:${path.resolve(config.dataDir)}`;
  const url = new URL(config.databaseUrl);
  url.password = '';
  return url.toString();
}

async function demoCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse('demo', args, { ...DATABASE_ARGS, password: { type: 'string' }, url: { type: 'string' } });
  if (values.help) return help(io, 'demo');
  if (positionals.length > 0) throw new UsageError(`demo: unexpected argument "${positionals[0]}"`);
  const env = envWith(io, values);
  const config = configFrom(env);
  const url = (values.url ?? `http://${config.host}:${config.port}`).replace(/\/+$/, '');
  return withServices(config, async (services) => {
    const result = await createDemo(services, {
      ...(values.password !== undefined ? { password: values.password } : {}),
    });
    io.out.write(formatDemo(result, url));
    return 0;
  });
}

/**
 * The benchmarks are tools beside the product (tools/order-bench, tools/search-bench), each run
 * as its own process: `bookstore bench [options]` is the order benchmark, `bookstore bench search
 * [options]` the search benchmark.
 */
async function benchCommand(args: readonly string[]): Promise<number> {
  const [tool, rest] = args[0] === 'search' ? ['search-bench/bench-search.js', args.slice(1)] : ['order-bench/run-bench.js', args];
  const child = spawn(process.execPath, [projectPath('build', 'tools', ...tool.split('/')), ...rest], { stdio: 'inherit' });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

async function openapiCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse('openapi', args, { check: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } });
  if (values.help) return help(io, 'openapi');
  if (positionals.length > 0) throw new UsageError(`openapi: unexpected argument "${positionals[0]}"`);
  const { runOpenApiCommand } = await import('../openapi/generate.js');
  return runOpenApiCommand(values.check ? ['--check'] : [], io.out);
}

function help(io: CliIo, topic: string): number {
  io.out.write(HELP[topic] ?? HELP.main!);
  return 0;
}

/** `bookstore help <command> …`: the benchmarks keep their usage text with their options, in tools/. */
async function helpCommand(args: readonly string[], io: CliIo): Promise<number> {
  if (args[0] === 'bench') return benchCommand([...args.slice(1, 2).filter((a) => a === 'search'), '--help']);
  return help(io, args[0] ?? 'main');
}

/** Every command, for `help` and its test; each is listed in HELP.main and in the README. */
export const COMMAND_NAMES = ['serve', 'migrate', 'import', 'demo', 'bench', 'openapi', 'help'] as const;

const COMMANDS: Record<(typeof COMMAND_NAMES)[number], (args: readonly string[], io: CliIo) => Promise<number>> = {
  serve: serveCommand,
  migrate: migrateCommand,
  import: importCommand,
  demo: demoCommand,
  bench: benchCommand,
  openapi: openapiCommand,
  help: helpCommand,
};

/** Runs the command line; resolves to the exit code (0 ok, 1 failed, 2 wrong usage). */
export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '-h' || command === '--help') return help(io, 'main');
  if (command === '-v' || command === '--version') {
    io.out.write(`${VERSION}\n`);
    return 0;
  }
  const run = Object.hasOwn(COMMANDS, command) ? COMMANDS[command as keyof typeof COMMANDS] : undefined;
  try {
    if (!run) throw new UsageError(`unknown command "${command}"`);
    return await run(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err.write(`bookstore: ${err.message} (see "bookstore ${run ? command + ' ' : ''}--help")\n`);
      return 2;
    }
    io.err.write(`bookstore${run ? ' ' + command : ''}: ${errorMessage(err)}\n`);
    return 1;
  }
}
