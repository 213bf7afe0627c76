import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AuthRule } from '../http/route-config.js';
import { buyerSchemas as s } from '../schemas/buyer.js';
import type { AccountService } from '../services/account-service.js';
import type { OrderService } from '../services/order-service.js';

const OK = { message: 'ok' } as const;
/** Buyer endpoints (the seed's codes): an unknown user is 512. */
const BY_TOKEN: AuthRule = { by: 'token', unknownUser: 'BUYER_NOT_FOUND' };
const BY_PASSWORD: AuthRule = { by: 'password', unknownUser: 'BUYER_NOT_FOUND' };

export const buyerRoutes: FastifyPluginAsyncTypebox<{ accounts: AccountService; orders: OrderService }> = async (app, { accounts, orders }) => {
  app.post('/buyer/new_order', { schema: { ...s.newOrder, summary: '下单 Place an order' }, config: { auth: BY_TOKEN } }, async ({ actor, body }) => {
    const lines = body.books.map((b) => ({ id: b.id, count: Number(b.count) }));
    return { ...OK, order_id: await orders.placeOrder(actor, body.store_id, lines) };
  });

  app.post(
    '/buyer/payment',
    { schema: { ...s.payment, summary: '付款 Pay an order' }, config: { auth: BY_PASSWORD, countFailures: 'payment' } },
    async ({ actor, body }) => {
      await orders.payOrder(actor, body.order_id);
      return OK;
    },
  );

  app.post(
    '/buyer/add_funds',
    { schema: { ...s.addFunds, summary: '充值 Add or withdraw funds' }, config: { auth: { by: 'password', unknownUser: 'AUTH_FAILED' } } },
    async ({ actor, body }) => {
      await accounts.addFunds(actor, body.add_value);
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
      },
    },
    async ({ actor, body }) => {
      if (body.order_id == null) return { ...OK, ...(await orders.listBuyerOrders(actor, body)) };
      await orders.cancelOrder(actor, body.order_id);
      return OK;
    },
  );

  app.post(
    '/buyer/receive_books',
    {
      schema: { ...s.receiveBooks, summary: '确认收货 Confirm receipt' },
      config: { auth: { by: 'token', unknownUser: 'AUTH_FAILED', userFields: ['buyer_id', 'user_id'] } },
    },
    async ({ actor, body }) => {
      await orders.receiveOrder(actor, body.order_id);
      return OK;
    },
  );

  app.post(
    '/buyer/query_order',
    { schema: { ...s.queryOrder, summary: '查询订单 My orders' }, config: { auth: { by: 'password', unknownUser: 'AUTH_FAILED' } } },
    async ({ actor, body }) => ({ ...OK, ...(await orders.listBuyerOrders(actor, body)) }),
  );
};
