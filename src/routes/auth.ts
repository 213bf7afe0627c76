import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { authSchemas as s } from '../schemas/auth.js';
import type { AccountService } from '../services/account-service.js';

const OK = { message: 'ok' } as const;

export const authRoutes: FastifyPluginAsyncTypebox<{ accounts: AccountService }> = async (app, { accounts }) => {
  app.post('/auth/register', { schema: { ...s.register, summary: '注册 Register a user' } }, async ({ body }) => {
    await accounts.register(body.user_id, body.password);
    return OK;
  });

  app.post('/auth/unregister', { schema: { ...s.unregister, summary: '注销 Unregister a user' } }, async ({ body }) => {
    await accounts.unregister(body.user_id, body.password);
    return OK;
  });

  app.post('/auth/login', { schema: { ...s.login, summary: '登录 Log in on a terminal' } }, async ({ body }) => {
    const token = await accounts.login(body.user_id, body.password, body.terminal);
    return { ...OK, token };
  });

  app.post('/auth/logout', { schema: { ...s.logout, summary: '登出 Log out this terminal' } }, async ({ body, headers }) => {
    await accounts.logout(body.user_id, tokenOf(headers));
    return OK;
  });

  app.post('/auth/password', { schema: { ...s.password, summary: '改密码 Change password' } }, async ({ body }) => {
    await accounts.changePassword(body.user_id, body.oldPassword, body.newPassword);
    return OK;
  });
};

/** The login token travels in the `token` header. */
export function tokenOf(headers: Record<string, string | string[] | undefined>): string | undefined {
  const value = headers.token;
  return Array.isArray(value) ? value[0] : value;
}
