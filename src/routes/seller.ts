import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ADD_BOOK_BODY_LIMIT } from '../http/body-parser.js';
import type { RouteConfig } from '../http/route-config.js';
import { sellerSchemas as s } from '../schemas/seller.js';

const OK = { message: 'ok' } as const;
/** Seller endpoints: the login token; an unknown user is 511. */
const SELLER_WRITE: RouteConfig = { auth: { by: 'token', unknownUser: 'USER_NOT_FOUND' }, idempotent: true };
const SELLER_READ: RouteConfig = { auth: { by: 'token', unknownUser: 'USER_NOT_FOUND' } };

export const sellerRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post('/seller/create_store', { schema: { ...s.createStore, summary: '创建商铺 Open a store' }, config: SELLER_WRITE }, async ({ actor, body, services }) => {
    await services.stores.createStore(actor, body.store_id);
    return OK;
  });

  app.post(
    '/seller/add_book',
    {
      schema: { ...s.addBook, summary: '添加书籍 List a book' },
      // Up to 32 MiB: parsed on a worker thread, which hands the pictures over as bytes.
      config: { ...SELLER_WRITE, offThreadBody: { base64Field: ['book_info', 'pictures'] } },
      bodyLimit: ADD_BOOK_BODY_LIMIT,
    },
    async ({ actor, body, services }) => {
      await services.stores.addBook(actor, body.store_id, body.book_info, body.stock_level ?? 0);
      return OK;
    },
  );

  app.post(
    '/seller/add_stock_level',
    { schema: { ...s.addStockLevel, summary: '增加库存 Change stock' }, config: SELLER_WRITE },
    async ({ actor, body, services }) => {
      await services.stores.addStock(actor, body.store_id, body.book_id, body.add_stock_level);
      return OK;
    },
  );

  app.post('/seller/send_books', { schema: { ...s.sendBooks, summary: '发货 Ship a paid order' }, config: SELLER_WRITE }, async ({ actor, body, services }) => {
    await services.orders.shipOrder(actor, body.order_id, body.store_id ?? null);
    return OK;
  });

  app.post(
    '/seller/query_order',
    { schema: { ...s.queryOrder, summary: '卖家查询订单 Orders of my stores' }, config: SELLER_READ },
    async ({ actor, body, services }) => ({ ...OK, ...(await services.orders.listSellerOrders(actor, body.store_id ?? null, body)) }),
  );
};
