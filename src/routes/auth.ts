import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { NO_AUTH } from '../http/route-config.js';
import { authSchemas as s } from '../schemas/auth.js';

const OK = { message: 'ok' } as const;

export const authRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post('/auth/register', { schema: { ...s.register, summary: '注册 Register a user' }, config: { auth: NO_AUTH, idempotent: true } }, async ({ body, services }) => {
    await services.accounts.register(body.user_id, body.password);
    return OK;
  });

  app.post(
    '/auth/unregister',
    { schema: { ...s.unregister, summary: '注销 Unregister a user' }, config: { auth: { by: 'password', unknownUser: 'AUTH_FAILED' }, idempotent: true } },
    async ({ actor, services }) => {
      await services.accounts.unregister(actor);
      return OK;
    },
  );

  app.post(
    '/auth/login',
    { schema: { ...s.login, summary: '登录 Log in on a terminal' }, config: { auth: { by: 'password', unknownUser: 'AUTH_FAILED' }, idempotent: true } },
    async ({ actor, body, services }) => ({ ...OK, token: await services.accounts.login(actor, body.terminal) }),
  );

  app.post(
    '/auth/logout',
    { schema: { ...s.logout, summary: '登出 Log out this terminal' }, config: { auth: { by: 'token', unknownUser: 'AUTH_FAILED' }, idempotent: true } },
    async ({ actor, services }) => {
      await services.accounts.logout(actor);
      return OK;
    },
  );

  app.post(
    '/auth/password',
    {
      schema: { ...s.password, summary: '改密码 Change password' },
      config: { auth: { by: 'password', unknownUser: 'AUTH_FAILED', passwordField: 'oldPassword' }, idempotent: true },
    },
    async ({ actor, body, services }) => {
      await services.accounts.changePassword(actor, body.newPassword);
      return OK;
    },
  );

  app.get(
    '/auth/me',
    { schema: { ...s.me, summary: '我的账户 My account' }, config: { auth: { by: 'token', unknownUser: 'AUTH_FAILED', in: 'query' } } },
    async ({ actor, services }) => ({ ...OK, ...(await services.accounts.describeAccount(actor)) }),
  );
};
