import { Worker } from 'node:worker_threads';
import ajvCompiler from '@fastify/ajv-compiler';
import { errorCodes, type FastifyInstance, type FastifyRequest, type FastifySchemaCompiler, type FastifySchemaValidationError } from 'fastify';
import { VALIDATION_OPTIONS } from './validation-options.js';

/**
 * A route whose body may be tens of MiB (add_book: content and pictures) has it decoded, parsed
 * and validated on a worker thread: on the event loop, a 32 MiB body costs about a second of
 * JSON.parse, Ajv's length counting and base64 checks, during which no other request is answered.
 * The worker also turns the base64 field into bytes and hands them over without a copy; what comes
 * back is the validated body with only its declared fields, or the validation errors, which the
 * route's validator then reports as Fastify's own would.
 */
export interface OffThreadBody {
  /** The path of an array of base64 strings the handler receives as bytes (Uint8Array), e.g. ['book_info', 'pictures']. */
  base64Field?: readonly string[];
}

/** What the event loop sends the worker: the raw body, transferred. */
export interface BodyJob {
  id: number;
  route: string;
  schema: object;
  bytes: ArrayBuffer;
  base64Field?: readonly string[];
}

/** What the worker answers. */
export type BodyOutcome =
  | { kind: 'valid'; body: unknown; digest: Uint8Array }
  | { kind: 'invalid'; errors: ValidationErrors }
  | { kind: 'empty' }
  | { kind: 'unparseable' }
  | { kind: 'failed'; message: string };

type ValidationErrors = FastifySchemaValidationError[];

/** The worker's verdict on each body it parsed: null when valid, else Ajv's errors. */
const verdicts = new WeakMap<object, ValidationErrors | null>();
/** SHA-256 of each such body's bytes (the idempotency key's request hash: http/idempotency.ts). */
const digests = new WeakMap<object, Uint8Array>();

/** The digest of a body parsed off the thread, if it was. */
export function offThreadDigest(body: unknown): Uint8Array | undefined {
  return typeof body === 'object' && body !== null ? digests.get(body) : undefined;
}

/** One worker, started on first use and again if it dies; it never keeps the process alive. */
class BodyWorker {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, (outcome: BodyOutcome) => void>();

  parse(job: Omit<BodyJob, 'id'>): Promise<BodyOutcome> {
    const worker = this.worker ?? this.start();
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      if (this.pending.size === 1) worker.ref();
      worker.postMessage({ ...job, id }, [job.bytes]);
    });
  }

  private start(): Worker {
    const worker = new Worker(new URL('./off-thread-body-worker.js', import.meta.url));
    worker.unref();
    worker.on('message', ({ id, outcome }: { id: number; outcome: BodyOutcome }) => {
      this.pending.get(id)?.(outcome);
      this.pending.delete(id);
      if (this.pending.size === 0) worker.unref();
    });
    const fail = (message: string) => {
      if (this.worker !== worker) return;
      this.worker = null;
      for (const resolve of this.pending.values()) resolve({ kind: 'failed', message });
      this.pending.clear();
    };
    worker.on('error', (err) => fail(err.message));
    worker.on('exit', (code) => fail(`the body worker exited (${code})`));
    this.worker = worker;
    return worker;
  }
}

const bodyWorker = new BodyWorker();

/** Parses a body read in full (bytes it owns) on the worker; done as a content-type parser's. */
export function parseOffThread(request: FastifyRequest, bytes: Uint8Array, done: (err: Error | null, body?: unknown) => void): void {
  const config = request.routeOptions.config.offThreadBody!;
  const schema = request.routeOptions.schema?.body as object;
  bodyWorker.parse({ route: request.routeOptions.url!, schema, bytes: bytes.buffer as ArrayBuffer, base64Field: config.base64Field }).then((outcome) => {
    switch (outcome.kind) {
      case 'empty':
        return done(new errorCodes.FST_ERR_CTP_EMPTY_JSON_BODY());
      case 'unparseable':
        return done(new errorCodes.FST_ERR_CTP_INVALID_JSON_BODY()); // as Fastify's own parser reports it
      case 'failed':
        return done(new Error(`the request body could not be parsed: ${outcome.message}`));
      case 'invalid': {
        const stand = {};
        verdicts.set(stand, outcome.errors);
        return done(null, stand);
      }
      case 'valid': {
        // The decoded bytes arrive as Uint8Arrays, which both database drivers take as they are.
        const body = outcome.body as object;
        verdicts.set(body, null);
        digests.set(body, outcome.digest);
        return done(null, body);
      }
    }
  }, done);
}

/**
 * For routes with `config.offThreadBody`: the body's validator reports the worker's verdict. A body
 * the worker did not see (none was sent) is validated here, with the same options.
 */
export function registerOffThreadBodies(server: FastifyInstance): void {
  const compile = ajvCompiler()({}, VALIDATION_OPTIONS) as FastifySchemaCompiler<unknown>;
  server.addHook('onRoute', (route) => {
    if (route.config?.offThreadBody === undefined) return;
    route.validatorCompiler = (part) => {
      if (part.httpPart !== 'body') throw new Error(`${part.url}: only a body is validated off the event loop`);
      const here = compile(part) as ((data: unknown) => boolean) & { errors?: ValidationErrors | null };
      const validate = (data: unknown): boolean => {
        const verdict = typeof data === 'object' && data !== null ? verdicts.get(data) : undefined;
        if (verdict === undefined) {
          const valid = here(data);
          validate.errors = here.errors;
          return valid;
        }
        validate.errors = verdict;
        return verdict === null;
      };
      validate.errors = null as ValidationErrors | null | undefined;
      return validate;
    };
  });
}
