import { randomInt } from 'node:crypto';
import { parseArgs } from 'node:util';

/** Closed loop: each client sends its next transaction when the last one ends; open loop: at a fixed rate. */
export type Mode = 'closed' | 'open';

/** undici: the general-purpose client; lean: raw sockets, for when the generator shares the CPU it measures. */
export type ClientKind = 'undici' | 'lean';

export interface BenchOptions {
  url: string;
  client: ClientKind;
  mode: Mode;
  concurrency: number;
  rate: number;
  durationS: number;
  warmupS: number;
  sellers: number;
  storesPerSeller: number;
  booksPerStore: number;
  buyers: number;
  stock: number;
  funds: number;
  booksDb: string | null;
  withPictures: boolean;
  seed: number;
  setupParallelism: number;
  timeoutS: number;
  json: boolean;
  verify: boolean;
  quiet: boolean;
  help: boolean;
}

export const USAGE = `Usage: bookstore bench [options]      (from a checkout: npm run bench -- [options])

Order-throughput benchmark: sets up sellers, stores, books and funded buyers over HTTP, then
runs new_order + payment transactions, reports throughput and latency, and checks that the
server's orders, stock and balances add up. Exit code 0 = PASS, 1 = FAIL, 2 = could not run.

Target
  --url URL                 server base URL (default http://127.0.0.1:5000)
  --timeout S               per-request timeout in seconds (default 30)
  --client undici|lean      HTTP client of the order load: undici (default), or lean: raw
                            keep-alive sockets, several times less CPU per order (setup and
                            checks always use undici)
Load
  --mode closed|open        closed: each client sends its next order when the last is done;
                            open: orders start at --rate regardless (default closed)
  --concurrency N           simulated clients = max orders in flight (default 16)
  --rate R                  open loop: orders per second to offer (required for --mode open)
  --duration S              measured seconds (default 10)
  --warmup S                unmeasured seconds before that (default 2)
  --seed N                  seed for catalogue and order mix (default random, printed)
Setup (not measured)
  --sellers N               sellers (default 4)
  --stores-per-seller N     stores per seller (default 2)
  --books-per-store N       books per store (default 50)
  --buyers N                buyers, at least --concurrency (default max(concurrency, 16))
  --stock N                 initial stock of every book (default 1000000)
  --funds CENTS             initial funds per buyer, topped up again if spent (default 1000000000)
  --books-db PATH           take books from a course book.db (SQLite) instead of synthetic ones
  --with-pictures           also upload the book.db cover pictures
  --setup-concurrency N     parallel setup/verification requests (default 8)
Output
  --json                    print the result as JSON on stdout (progress stays on stderr)
  --skip-verify             do not check orders, stock and balances afterwards
  --quiet                   no progress lines on stderr
  --help                    show this text`;

export class UsageError extends Error {}

const OPTION_SPEC = {
  url: { type: 'string', default: 'http://127.0.0.1:5000' },
  client: { type: 'string', default: 'undici' },
  mode: { type: 'string', default: 'closed' },
  concurrency: { type: 'string', default: '16' },
  rate: { type: 'string' },
  duration: { type: 'string', default: '10' },
  warmup: { type: 'string', default: '2' },
  sellers: { type: 'string', default: '4' },
  'stores-per-seller': { type: 'string', default: '2' },
  'books-per-store': { type: 'string', default: '50' },
  buyers: { type: 'string' },
  stock: { type: 'string', default: '1000000' },
  funds: { type: 'string', default: '1000000000' },
  'books-db': { type: 'string' },
  'with-pictures': { type: 'boolean', default: false },
  seed: { type: 'string' },
  'setup-concurrency': { type: 'string', default: '8' },
  timeout: { type: 'string', default: '30' },
  json: { type: 'boolean', default: false },
  'skip-verify': { type: 'boolean', default: false },
  quiet: { type: 'boolean', default: false },
  help: { type: 'boolean', default: false, short: 'h' },
} as const;

function integer(name: string, raw: string | undefined, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const value = Number(raw);
  if (raw === undefined || !/^-?\d+$/.test(raw.trim()) || value < min || value > max) {
    throw new UsageError(`--${name} must be an integer from ${min} to ${max}, got ${raw ?? 'nothing'}`);
  }
  return value;
}

function positive(name: string, raw: string | undefined, allowZero: boolean): number {
  const value = Number(raw);
  if (raw === undefined || raw.trim() === '' || !Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    throw new UsageError(`--${name} must be a ${allowZero ? 'non-negative' : 'positive'} number, got ${raw ?? 'nothing'}`);
  }
  return value;
}

function parseMode(raw: string): Mode {
  if (raw !== 'closed' && raw !== 'open') throw new UsageError(`--mode must be closed or open, got ${raw}`);
  return raw;
}

function parseClient(raw: string): ClientKind {
  if (raw !== 'undici' && raw !== 'lean') throw new UsageError(`--client must be undici or lean, got ${raw}`);
  return raw;
}

function parseUrl(raw: string): string {
  try {
    const url = new URL(raw);
    if (url.protocol === 'http:' || url.protocol === 'https:') return raw;
  } catch {
    // reported below
  }
  throw new UsageError(`--url must be an http(s) URL, got ${raw}`);
}

function rawValues(argv: readonly string[]) {
  try {
    return parseArgs({ args: [...argv], options: OPTION_SPEC, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
}

export function parseOptions(argv: readonly string[]): BenchOptions {
  const values = rawValues(argv);
  const mode = parseMode(values.mode);
  const concurrency = integer('concurrency', values.concurrency, 1, 10_000);
  const options: BenchOptions = {
    url: parseUrl(values.url),
    client: parseClient(values.client),
    mode,
    concurrency,
    rate: values.rate === undefined ? 0 : positive('rate', values.rate, false),
    durationS: positive('duration', values.duration, false),
    warmupS: positive('warmup', values.warmup, true),
    sellers: integer('sellers', values.sellers, 1),
    storesPerSeller: integer('stores-per-seller', values['stores-per-seller'], 1),
    booksPerStore: integer('books-per-store', values['books-per-store'], 1),
    buyers: values.buyers === undefined ? Math.max(concurrency, 16) : integer('buyers', values.buyers, 1),
    stock: integer('stock', values.stock, 1, 2 ** 31 - 1),
    funds: integer('funds', values.funds, 1, 2 ** 31 - 1),
    booksDb: values['books-db'] ?? null,
    withPictures: values['with-pictures'],
    seed: values.seed === undefined ? randomInt(2 ** 31) : integer('seed', values.seed, 0, 2 ** 32 - 1),
    setupParallelism: integer('setup-concurrency', values['setup-concurrency'], 1, 1000),
    timeoutS: positive('timeout', values.timeout, false),
    json: values.json,
    verify: !values['skip-verify'],
    quiet: values.quiet,
    help: values.help,
  };
  if (options.client === 'lean' && !options.url.startsWith('http:')) throw new UsageError('--client lean speaks plain http only');
  if (options.mode === 'open' && options.rate === 0 && !options.help) throw new UsageError('--mode open needs --rate');
  if (options.buyers < options.concurrency) {
    throw new UsageError(`--buyers (${options.buyers}) must be at least --concurrency (${options.concurrency}): each client needs its own buyer`);
  }
  return options;
}
