import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { sellerSchemas as s } from '../schemas/seller.js';
import type { OrderService } from '../services/order-service.js';
import type { StoreService } from '../services/store-service.js';
import { tokenOf } from './auth.js';

const OK = { message: 'ok' } as const;

export const sellerRoutes: FastifyPluginAsyncTypebox<{ stores: StoreService; orders: OrderService }> = async (
  app,
  { stores, orders },
) => {
  app.post('/seller/create_store', { schema: { ...s.createStore, summary: '创建商铺 Open a store' } }, async ({ body, headers }) => {
    await stores.createStore(body.user_id, tokenOf(headers), body.store_id);
    return OK;
  });

  app.post('/seller/add_book', { schema: { ...s.addBook, summary: '添加书籍 List a book' } }, async ({ body, headers }) => {
    await stores.addBook(body.user_id, tokenOf(headers), body.store_id, body.book_info, body.stock_level ?? 0);
    return OK;
  });

  app.post('/seller/add_stock_level', { schema: { ...s.addStockLevel, summary: '增加库存 Change stock' } }, async ({ body, headers }) => {
    await stores.addStockLevel(body.user_id, tokenOf(headers), body.store_id, body.book_id, body.add_stock_level);
    return OK;
  });

  app.post('/seller/send_books', { schema: { ...s.sendBooks, summary: '发货 Ship a paid order' } }, async ({ body, headers }) => {
    await orders.shipOrder(body.user_id, tokenOf(headers), body.order_id, body.store_id);
    return OK;
  });

  app.post('/seller/query_order', { schema: { ...s.queryOrder, summary: '卖家查询订单 Orders of my stores' } }, async ({ body, headers }) => {
    const result = await orders.listSellerOrders(body.user_id, tokenOf(headers), body.store_id, body);
    return { ...OK, ...result };
  });
};
