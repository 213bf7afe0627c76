import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { NO_AUTH } from '../http/route-config.js';
import { authSchemas as s } from '../schemas/auth.js';
import type { AccountService } from '../services/account-service.js';

const OK = { message: 'ok' } as const;

export const authRoutes: FastifyPluginAsyncTypebox<{ accounts: AccountService }> = async (app, { accounts }) => {
  app.post('/auth/register', { schema: { ...s.register, summary: '注册 Register a user' }, config: { auth: NO_AUTH } }, async ({ body }) => {
    await accounts.register(body.user_id, body.password);
    return OK;
  });

  app.post(
    '/auth/unregister',
    { schema: { ...s.unregister, summary: '注销 Unregister a user' }, config: { auth: { by: 'password', unknownUser: 'AUTH_FAILED' } } },
    async ({ actor }) => {
      await accounts.unregister(actor);
      return OK;
    },
  );

  app.post(
    '/auth/login',
    { schema: { ...s.login, summary: '登录 Log in on a terminal' }, config: { auth: { by: 'password', unknownUser: 'AUTH_FAILED' } } },
    async ({ actor, body }) => ({ ...OK, token: await accounts.login(actor, body.terminal) }),
  );

  app.post(
    '/auth/logout',
    { schema: { ...s.logout, summary: '登出 Log out this terminal' }, config: { auth: { by: 'token', unknownUser: 'AUTH_FAILED' } } },
    async ({ actor }) => {
      await accounts.logout(actor);
      return OK;
    },
  );

  app.post(
    '/auth/password',
    {
      schema: { ...s.password, summary: '改密码 Change password' },
      config: { auth: { by: 'password', unknownUser: 'AUTH_FAILED', passwordField: 'oldPassword' } },
    },
    async ({ actor, body }) => {
      await accounts.changePassword(actor, body.newPassword);
      return OK;
    },
  );

  app.get(
    '/auth/me',
    { schema: { ...s.me, summary: '我的账户 My account' }, config: { auth: { by: 'token', unknownUser: 'AUTH_FAILED', in: 'query' } } },
    async ({ actor }) => ({ ...OK, ...(await accounts.describeAccount(actor)) }),
  );
};
