import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AuthRule } from '../http/route-config.js';
import { buyerSchemas as s } from '../schemas/buyer.js';

const OK = { message: 'ok' } as const;
/** Buyer endpoints (the seed's codes): an unknown user is 512. */
const BY_TOKEN: AuthRule = { by: 'token', unknownUser: 'BUYER_NOT_FOUND' };
const BY_PASSWORD: AuthRule = { by: 'password', unknownUser: 'BUYER_NOT_FOUND' };

export const buyerRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/buyer/new_order',
    { schema: { ...s.newOrder, summary: '下单 Place an order' }, config: { auth: BY_TOKEN, idempotent: true } },
    async ({ actor, body, services }) => {
      const lines = body.books.map((b) => ({ id: b.id, count: Number(b.count) }));
      return { ...OK, order_id: await services.orders.placeOrder(actor, body.store_id, lines) };
    },
  );

  app.post(
    '/buyer/payment',
    { schema: { ...s.payment, summary: '付款 Pay an order' }, config: { auth: BY_PASSWORD, idempotent: true, countFailures: 'payment' } },
    async ({ actor, body, services }) => {
      await services.orders.payOrder(actor, body.order_id);
      return OK;
    },
  );

  app.post(
    '/buyer/add_funds',
    { schema: { ...s.addFunds, summary: '充值 Add or withdraw funds' }, config: { auth: { by: 'password', unknownUser: 'AUTH_FAILED' }, idempotent: true } },
    async ({ actor, body, services }) => {
      await services.accounts.addFunds(actor, body.add_value);
      return OK;
    },
  );

  // The seed documents the order query under this URL too: without order_id it is one (and, like
  // /buyer/query_order, answers 401 for an unknown user).
  app.post(
    '/buyer/close_order',
    {
      schema: { ...s.closeOrder, summary: '取消订单 Cancel an order' },
      config: {
        auth: {
          by: 'password',
          unknownUser: (request) => ((request.body as { order_id?: unknown } | undefined)?.order_id == null ? 'AUTH_FAILED' : 'BUYER_NOT_FOUND'),
        },
        idempotent: true,
      },
    },
    async ({ actor, body, services }) => {
      if (body.order_id == null) return { ...OK, ...(await services.orders.listBuyerOrders(actor, body)) };
      await services.orders.cancelOrder(actor, body.order_id);
      return OK;
    },
  );

  app.post(
    '/buyer/receive_books',
    {
      schema: { ...s.receiveBooks, summary: '确认收货 Confirm receipt' },
      config: { auth: { by: 'token', unknownUser: 'AUTH_FAILED', userFields: ['buyer_id', 'user_id'] }, idempotent: true },
    },
    async ({ actor, body, services }) => {
      await services.orders.receiveOrder(actor, body.order_id);
      return OK;
    },
  );

  app.post(
    '/buyer/query_order',
    { schema: { ...s.queryOrder, summary: '查询订单 My orders' }, config: { auth: { by: 'password', unknownUser: 'AUTH_FAILED' } } },
    async ({ actor, body, services }) => ({ ...OK, ...(await services.orders.listBuyerOrders(actor, body)) }),
  );
};
