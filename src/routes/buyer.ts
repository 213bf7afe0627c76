import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { fail } from '../errors.js';
import { buyerSchemas as s } from '../schemas/buyer.js';
import type { AccountService } from '../services/account-service.js';
import type { OrderService } from '../services/order-service.js';
import { tokenOf } from './auth.js';

const OK = { message: 'ok' } as const;

export const buyerRoutes: FastifyPluginAsyncTypebox<{ accounts: AccountService; orders: OrderService }> = async (
  app,
  { accounts, orders },
) => {
  app.post('/buyer/new_order', { schema: { ...s.newOrder, summary: '下单 Place an order' } }, async ({ body, headers }) => {
    const lines = body.books.map((b) => ({ id: b.id, count: Number(b.count) }));
    const orderId = await orders.placeOrder(body.user_id, tokenOf(headers), body.store_id, lines);
    return { ...OK, order_id: orderId };
  });

  app.post('/buyer/payment', { schema: { ...s.payment, summary: '付款 Pay an order' } }, async ({ body }) => {
    await orders.payOrder(body.user_id, body.password, body.order_id);
    return OK;
  });

  app.post('/buyer/add_funds', { schema: { ...s.addFunds, summary: '充值 Add or withdraw funds' } }, async ({ body }) => {
    await accounts.addFunds(body.user_id, body.password, body.add_value);
    return OK;
  });

  app.post('/buyer/close_order', { schema: { ...s.closeOrder, summary: '取消订单 Cancel an order' } }, async ({ body }) => {
    if (body.order_id == null) return { ...OK, ...(await orders.listBuyerOrders(body.user_id, body.password, body)) };
    await orders.cancelOrder(body.user_id, body.password, body.order_id);
    return OK;
  });

  app.post('/buyer/receive_books', { schema: { ...s.receiveBooks, summary: '确认收货 Confirm receipt' } }, async ({ body, headers }) => {
    const buyerId = body.buyer_id ?? body.user_id ?? fail('BAD_REQUEST', 'buyer_id: is required');
    await orders.receiveOrder(buyerId, tokenOf(headers), body.order_id);
    return OK;
  });

  app.post('/buyer/query_order', { schema: { ...s.queryOrder, summary: '查询订单 My orders' } }, async ({ body }) => {
    return { ...OK, ...(await orders.listBuyerOrders(body.user_id, body.password, body)) };
  });
};
