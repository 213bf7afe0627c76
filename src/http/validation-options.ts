/**
 * Ajv's options for request validation, one value for Fastify on the main thread and for the
 * body worker (http/off-thread-body.ts): a body validated in either place gets the same verdict.
 */
export const VALIDATION_OPTIONS = {
  customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false },
} as const;
