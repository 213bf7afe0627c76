import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Actor } from '../domain/actor.js';
import { AppError } from '../errors.js';
import type { Authenticator } from '../services/authentication.js';
import type { AuthRule } from './route-config.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The caller, resolved before the handler on every route whose auth rule is not `none`. */
    actor: Actor;
  }
}

type Fields = Record<string, unknown>;

function fieldsOf(request: FastifyRequest, rule: Exclude<AuthRule, { by: 'none' }>): Fields {
  return ((rule.in === 'query' ? request.query : request.body) ?? {}) as Fields;
}

/** The acting user's id: the first of the rule's fields that is present (validation already typed them). */
export function actingUserId(request: FastifyRequest, rule: Exclude<AuthRule, { by: 'none' }>): string {
  const fields = fieldsOf(request, rule);
  const names = rule.userFields ?? ['user_id'];
  for (const name of names) {
    const value = fields[name];
    if (typeof value === 'string') return value;
  }
  throw new AppError('BAD_REQUEST', `${names[0]}: is required`);
}

/** The login token travels in the `token` header. */
function tokenHeader(request: FastifyRequest): string | undefined {
  const value = request.headers.token;
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Resolves `request.actor` once per request, after validation (a malformed body is a 400 before
 * any credential is looked at) and before the handler, as each route's `auth` config says. The
 * common case costs no database round trip: a token is checked by its signature, and a password
 * verified moments ago is remembered; the statement that acts re-checks either.
 */
export function registerAuthentication(server: FastifyInstance, authenticator: Authenticator): void {
  server.decorateRequest('actor', null as unknown as Actor);

  // Callback style: the common case finishes synchronously, without a promise per request.
  server.addHook('preHandler', (request, _reply, done) => {
    const rule = request.routeOptions.config.auth;
    if (rule === undefined || rule.by === 'none') return done();
    let userId: string;
    try {
      userId = actingUserId(request, rule);
    } catch (err) {
      return done(err as Error);
    }
    if (rule.by === 'token') {
      const token = tokenHeader(request);
      const actor = authenticator.tokenActor(userId, token);
      if (actor !== null) {
        request.actor = actor;
        return done();
      }
      authenticator.refuseToken(userId, token).catch(done);
      return;
    }
    const password = String(fieldsOf(request, rule)[rule.passwordField ?? 'password'] ?? '');
    const remembered = authenticator.rememberedActor(userId, password);
    if (remembered !== null) {
      request.actor = remembered;
      return done();
    }
    authenticator.byPassword(userId, password).then((actor) => {
      request.actor = actor;
      done();
    }, done);
  });

  // A remembered password refused by the database was changed since: verify it afresh next time.
  server.addHook('onResponse', (request, reply, done) => {
    const rule = request.routeOptions.config.auth;
    if (rule?.by === 'password' && reply.statusCode === 401 && request.actor !== null) {
      authenticator.forgetPassword(request.actor.userId, String(fieldsOf(request, rule)[rule.passwordField ?? 'password'] ?? ''));
    }
    done();
  });
}
