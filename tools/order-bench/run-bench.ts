import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { booksFromDb, syntheticBooks, type BookInfo } from './catalogue.js';
import { HttpClient, type OrderTransport } from './client.js';
import { LeanClient } from './lean-client.js';
import { Ledger } from './ledger.js';
import { runLoad, type LoadOutcome } from './load.js';
import { RssPoller, SelfMonitor } from './monitor.js';
import { USAGE, UsageError, parseOptions, type BenchOptions } from './options.js';
import { buildResult, formatText, type BenchResult, type SetupSummary } from './report.js';
import { Rng } from './rng.js';
import { SetupError, setupWorld, type World } from './setup.js';
import { Recorder } from './stats.js';
import { verify } from './verify.js';

export const EXIT_PASS = 0;
export const EXIT_FAIL = 1;
export const EXIT_CANNOT_RUN = 2;

type Log = (line: string) => void;

async function loadCatalogue(options: BenchOptions, rng: Rng): Promise<{ books: BookInfo[]; label: string }> {
  if (options.booksDb === null) {
    return { books: syntheticBooks(options.booksPerStore * 2, rng), label: 'synthetic' };
  }
  const books = await booksFromDb(options.booksDb, options.booksPerStore * 2, options.withPictures, rng);
  if (books.length === 0) throw new SetupError(`${options.booksDb} holds no books`);
  return { books, label: `from ${options.booksDb}` };
}

async function prepare(options: BenchOptions, http: HttpClient, log: Log): Promise<{ world: World; setup: SetupSummary }> {
  const started = performance.now();
  const rng = new Rng(options.seed);
  const catalogue = await loadCatalogue(options, rng);
  log(`setting up against ${options.url} (seed ${options.seed})`);
  const world = await setupWorld(http, {
    sellers: options.sellers,
    storesPerSeller: options.storesPerSeller,
    booksPerStore: options.booksPerStore,
    buyers: options.buyers,
    stock: options.stock,
    funds: options.funds,
    parallelism: options.setupParallelism,
  }, catalogue.books, rng, log);
  const setup: SetupSummary = {
    sellers: world.sellers.length,
    stores: world.stores.length,
    booksPerStore: world.stores[0]?.books.length ?? 0,
    buyers: world.buyers.length,
    stock: world.stock,
    funds: world.funds,
    catalogue: catalogue.label,
    seconds: Math.round((performance.now() - started) / 100) / 10,
  };
  return { world, setup };
}

function progressPrinter(recorder: Recorder, log: Log): (elapsedS: number) => void {
  let lastOk = 0;
  return (elapsedS) => {
    log(`${elapsedS.toFixed(0)} s: ${recorder.liveOk - lastOk} orders in the last second, ` +
      `${recorder.liveOk} ok and ${recorder.liveFailed} failed so far`);
    lastOk = recorder.liveOk;
  };
}

async function measure(
  options: BenchOptions,
  http: OrderTransport,
  metricsHttp: HttpClient,
  world: World,
  ledger: Ledger,
  recorder: Recorder,
  log: Log,
): Promise<{ outcome: LoadOutcome; self: SelfMonitor; rss: RssPoller | null }> {
  const self = new SelfMonitor();
  const poller = new RssPoller(metricsHttp);
  const rss = (await poller.available()) ? poller : null;
  log(`warm-up ${options.warmupS} s, then measuring ${options.durationS} s (${options.mode} loop, ${options.concurrency} clients)`);
  const outcome = await runLoad(http, world, ledger, recorder, {
    mode: options.mode,
    concurrency: options.concurrency,
    rate: options.rate,
    warmupMs: options.warmupS * 1000,
    durationMs: options.durationS * 1000,
    seed: options.seed,
  }, {
    onMeasureStart: () => {
      self.start();
      rss?.start();
    },
    onMeasureEnd: () => {
      self.stop();
      rss?.stop();
    },
    onProgress: options.quiet ? () => {} : progressPrinter(recorder, log),
  });
  return { outcome, self, rss };
}

async function benchmark(
  options: BenchOptions, http: HttpClient, load: OrderTransport, metricsHttp: HttpClient, log: Log,
): Promise<BenchResult> {
  const { world, setup } = await prepare(options, http, log);
  const ledger = new Ledger(world);
  const recorder = new Recorder();
  const { outcome, self, rss } = await measure(options, load, metricsHttp, world, ledger, recorder, log);
  log(options.verify ? 'verifying orders, stock and balances' : 'skipping state verification');
  const verification = await verify(http, ledger, options.setupParallelism, options.verify);
  const facts = {
    server: options.url,
    client: options.client,
    runId: world.runId,
    seed: options.seed,
    mode: options.mode,
    concurrency: options.concurrency,
    rate: options.mode === 'open' ? options.rate : null,
    warmupS: options.warmupS,
    durationS: outcome.measuredS,
    offered: outcome.offered,
    unsent: outcome.unsent,
  };
  const transportErrors = new Map(http.transportErrors);
  if (load !== http) for (const [code, n] of load.transportErrors) transportErrors.set(code, (transportErrors.get(code) ?? 0) + n);
  return buildResult(facts, setup, recorder, transportErrors, self.report(), rss?.report() ?? null, verification);
}

/** Runs the benchmark for command-line arguments `argv`; resolves to the process exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  let options: BenchOptions;
  try {
    options = parseOptions(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`bookstore bench: ${err.message}\n\n${USAGE}\n`);
    return EXIT_CANNOT_RUN;
  }
  if (options.help) {
    process.stdout.write(`${USAGE}\n`);
    return EXIT_PASS;
  }
  const quiet = options.quiet;
  const log: Log = (line) => {
    if (!quiet) process.stderr.write(`[bench] ${line}\n`);
  };
  const timeoutMs = options.timeoutS * 1000;
  const http = new HttpClient(options.url, Math.max(options.concurrency, options.setupParallelism), timeoutMs);
  const metricsHttp = new HttpClient(options.url, 1, timeoutMs);
  // Setup and the checks stay on undici either way: they are not measured, and they parse whole replies.
  const load: OrderTransport = options.client === 'lean' ? new LeanClient(options.url, options.concurrency, timeoutMs) : http;
  try {
    const result = await benchmark(options, http, load, metricsHttp, log);
    process.stdout.write(options.json ? `${JSON.stringify(result, null, 2)}\n` : `${formatText(result)}\n`);
    return result.verdict === 'PASS' ? EXIT_PASS : EXIT_FAIL;
  } catch (err) {
    if (!(err instanceof SetupError)) throw err;
    process.stderr.write(`bench: setup failed: ${err.message}\n`);
    return EXIT_CANNOT_RUN;
  } finally {
    await Promise.all([http.close(), metricsHttp.close(), load === http ? null : load.close()]);
  }
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href;
if (invokedDirectly) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = EXIT_CANNOT_RUN;
    },
  );
}
