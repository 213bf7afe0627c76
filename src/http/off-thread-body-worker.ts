import { createHash } from 'node:crypto';
import { parentPort } from 'node:worker_threads';
import ajvCompiler from '@fastify/ajv-compiler';
import secureJson from 'secure-json-parse';
import type { BodyJob, BodyOutcome } from './off-thread-body.js';
import { VALIDATION_OPTIONS } from './validation-options.js';

// The worker side of http/off-thread-body.ts: decode, parse, validate and turn base64 fields into
// bytes here, so that none of it holds the server's event loop.

type Validate = ((data: unknown) => boolean) & { errors?: unknown[] | null };
interface ObjectSchema {
  type?: unknown;
  properties?: Record<string, ObjectSchema>;
}

const compile = ajvCompiler()({}, VALIDATION_OPTIONS) as (route: { schema: object; method: string; url: string; httpPart: string }) => Validate;
const validators = new Map<string, Validate>();

function validatorFor(job: BodyJob): Validate {
  let validate = validators.get(job.route);
  if (validate === undefined) {
    validate = compile({ schema: job.schema, method: 'POST', url: job.route, httpPart: 'body' });
    validators.set(job.route, validate);
  }
  return validate;
}

/** Drops what the schema does not declare: a handler never reads it, and it would only be copied back. */
function keepDeclared(value: unknown, schema: ObjectSchema | undefined): void {
  if (schema?.type !== 'object' || schema.properties === undefined || typeof value !== 'object' || value === null) return;
  for (const key of Object.keys(value)) {
    if (!Object.hasOwn(schema.properties, key)) delete (value as Record<string, unknown>)[key];
    else keepDeclared((value as Record<string, unknown>)[key], schema.properties[key]);
  }
}

/** Replaces the base64 strings of the array at `path` by their bytes; returns the buffers to transfer. */
function decodeBase64(body: Record<string, unknown>, path: readonly string[]): ArrayBuffer[] {
  const parent = path.slice(0, -1).reduce<unknown>((at, key) => (at as Record<string, unknown> | null)?.[key], body) as Record<string, unknown> | null;
  const last = path[path.length - 1]!;
  const list = parent?.[last];
  if (!Array.isArray(list)) return [];
  const transfer: ArrayBuffer[] = [];
  parent![last] = list.map((text: string) => {
    // Decoded into memory of its own, never Node's shared pool: it is transferred, not copied.
    const room = Buffer.allocUnsafeSlow(Buffer.byteLength(text, 'base64'));
    transfer.push(room.buffer);
    return new Uint8Array(room.buffer, 0, room.write(text, 'base64'));
  });
  return transfer;
}

function handle(job: BodyJob): { outcome: BodyOutcome; transfer: ArrayBuffer[] } {
  const bytes = Buffer.from(job.bytes);
  if (bytes.length === 0) return { outcome: { kind: 'empty' }, transfer: [] };
  let body: unknown;
  try {
    body = secureJson.parse(bytes.toString('utf8'), undefined, { protoAction: 'error', constructorAction: 'error' });
  } catch {
    return { outcome: { kind: 'unparseable' }, transfer: [] };
  }
  const validate = validatorFor(job);
  if (!validate(body)) return { outcome: { kind: 'invalid', errors: (validate.errors ?? []) as never }, transfer: [] };
  keepDeclared(body, job.schema as ObjectSchema);
  const transfer = job.base64Field ? decodeBase64(body as Record<string, unknown>, job.base64Field) : [];
  const digest = createHash('sha256').update(bytes).digest();
  return { outcome: { kind: 'valid', body, digest: new Uint8Array(digest) }, transfer };
}

parentPort!.on('message', (job: BodyJob) => {
  let reply: { outcome: BodyOutcome; transfer: ArrayBuffer[] };
  try {
    reply = handle(job);
  } catch (err) {
    reply = { outcome: { kind: 'failed', message: (err as Error).message }, transfer: [] };
  }
  parentPort!.postMessage({ id: job.id, outcome: reply.outcome }, reply.transfer);
});
