import type { Cluster, ServerSettings } from './cluster.js';

export type TestId = 'T1' | 'T2' | 'T3' | 'T4' | 'T5';

export interface TestResult {
  id: TestId;
  name: string;
  pass: boolean;
  /** One line of figures for the summary table. */
  summary: string;
  /** Further lines: each check with its figures, and why a failure happened. */
  details: string[];
}

export interface Options {
  only: Set<TestId>;
  lbMode: 'http' | 'tcp';
  poolSize: number;
  /** T1: measured seconds per run, warm-up seconds, benchmark clients per api process. */
  t1DurationS: number;
  t1WarmupS: number;
  t1ClientsPerApi: number;
  t1Rounds: number;
  /** Pass one BOOKSTORE_SECRET to every process (until the server keeps it in the database). */
  sharedSecret: boolean;
  /** auto: the transaction pooler when T2 shows the server is safe behind it, else session mode. */
  dbPath: 'auto' | 'pooled' | 'session';
  /** Give api processes DATABASE_REPLICA_URL in every phase (not only T5). */
  replicaReadsEverywhere: boolean;
  logDir: string | null;
  /** BOOKSTORE_DB_POOL_SIZE of each server process. */
  serverPool: number;
  /** HTTP client of the benchmark's order load: lean (raw sockets, the default here) or undici. */
  benchClient: 'lean' | 'undici';
  /** The whole run's limit (the watchdog ends it, cleanup included, after this many seconds). */
  timeoutS: number;
}

export interface Context {
  cluster: Cluster;
  options: Options;
  /** Settings every phase starts from; phases copy and change them. */
  base: ServerSettings;
  log: (line: string) => void;
  runId: string;
}

function envInt(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  return n;
}

function envChoice<T extends string>(name: string, choices: readonly T[], fallback: T): T {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!(choices as readonly string[]).includes(raw)) throw new Error(`${name} must be one of ${choices.join(', ')}, got "${raw}"`);
  return raw as T;
}

export const ALL_TESTS: TestId[] = ['T1', 'T2', 'T3', 'T4', 'T5'];

/** Options come from the environment (the npm script takes no arguments); see the README section. */
export function readOptions(): Options {
  const onlyRaw = process.env.CLUSTER_ONLY?.trim();
  const only = new Set<TestId>(onlyRaw ? onlyRaw.split(',').map((s) => s.trim().toUpperCase() as TestId) : ALL_TESTS);
  for (const t of only) if (!ALL_TESTS.includes(t)) throw new Error(`CLUSTER_ONLY: unknown test "${t}"`);
  return {
    only,
    lbMode: envChoice('CLUSTER_LB_MODE', ['http', 'tcp'] as const, 'http'),
    poolSize: envInt('CLUSTER_POOL_SIZE', 6, 1, 100),
    t1DurationS: envInt('CLUSTER_T1_DURATION', 12, 2, 600),
    t1WarmupS: envInt('CLUSTER_T1_WARMUP', 3, 0, 60),
    t1ClientsPerApi: envInt('CLUSTER_T1_CLIENTS_PER_API', 8, 1, 100),
    t1Rounds: envInt('CLUSTER_T1_ROUNDS', 3, 1, 5),
    sharedSecret: envChoice('CLUSTER_SHARED_SECRET', ['0', '1'] as const, '1') === '1',
    dbPath: envChoice('CLUSTER_DB_PATH', ['auto', 'pooled', 'session'] as const, 'auto'),
    // Only T5 by default: the benchmark's final check lists each store's orders as its seller,
    // who did not write them, so read-your-writes does not cover that read, and a replica a
    // few hundred ms behind would fail T1/T2 for a reason that is not theirs.
    replicaReadsEverywhere: envChoice('CLUSTER_REPLICA_READS', ['all', 't5'] as const, 't5') === 'all',
    logDir: process.env.CLUSTER_LOG_DIR?.trim() || null,
    serverPool: envInt('CLUSTER_SERVER_POOL', 4, 1, 100),
    timeoutS: envInt('CLUSTER_TIMEOUT_S', 560, 60, 3600),
    // The load generator shares the 2 cores with what it measures: the lean client leaves more of
    // them to the cluster (undici kept selectable, to measure the instrument itself).
    benchClient: envChoice('CLUSTER_BENCH_CLIENT', ['lean', 'undici'] as const, 'lean'),
  };
}
