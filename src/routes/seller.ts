import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AuthRule } from '../http/route-config.js';
import { sellerSchemas as s } from '../schemas/seller.js';
import type { OrderService } from '../services/order-service.js';
import type { StoreService } from '../services/store-service.js';

const OK = { message: 'ok' } as const;
/** Seller endpoints: the login token; an unknown user is 511. */
const SELLER: AuthRule = { by: 'token', unknownUser: 'USER_NOT_FOUND' };

export const sellerRoutes: FastifyPluginAsyncTypebox<{ stores: StoreService; orders: OrderService }> = async (app, { stores, orders }) => {
  app.post('/seller/create_store', { schema: { ...s.createStore, summary: '创建商铺 Open a store' }, config: { auth: SELLER } }, async ({ actor, body }) => {
    await stores.createStore(actor, body.store_id);
    return OK;
  });

  app.post('/seller/add_book', { schema: { ...s.addBook, summary: '添加书籍 List a book' }, config: { auth: SELLER } }, async ({ actor, body }) => {
    await stores.addBook(actor, body.store_id, body.book_info, body.stock_level ?? 0);
    return OK;
  });

  app.post(
    '/seller/add_stock_level',
    { schema: { ...s.addStockLevel, summary: '增加库存 Change stock' }, config: { auth: SELLER } },
    async ({ actor, body }) => {
      await stores.addStock(actor, body.store_id, body.book_id, body.add_stock_level);
      return OK;
    },
  );

  app.post('/seller/send_books', { schema: { ...s.sendBooks, summary: '发货 Ship a paid order' }, config: { auth: SELLER } }, async ({ actor, body }) => {
    await orders.shipOrder(actor, body.order_id, body.store_id ?? null);
    return OK;
  });

  app.post(
    '/seller/query_order',
    { schema: { ...s.queryOrder, summary: '卖家查询订单 Orders of my stores' }, config: { auth: SELLER } },
    async ({ actor, body }) => ({ ...OK, ...(await orders.listSellerOrders(actor, body.store_id ?? null, body)) }),
  );
};
