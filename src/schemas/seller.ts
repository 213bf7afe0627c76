import { Type } from 'typebox';
import { Id, Message, Nullable, OrderPage, OrderStatus, Page, PageSize, Text, responses } from './common.js';

export const BookInfo = Type.Object({
  id: Id,
  title: Nullable(Text),
  author: Nullable(Text),
  publisher: Nullable(Text),
  original_title: Nullable(Text),
  translator: Nullable(Text),
  pub_year: Nullable(Text),
  pages: Nullable(Type.Integer({ minimum: 0, maximum: 2_147_483_647 })),
  price: Nullable(Type.Integer({ minimum: 0, maximum: 1_000_000_000_000 })),
  currency_unit: Nullable(Text),
  binding: Nullable(Text),
  isbn: Nullable(Text),
  author_intro: Nullable(Text),
  book_intro: Nullable(Text),
  content: Nullable(Text),
  tags: Nullable(Type.Array(Text, { maxItems: 1000 })),
  pictures: Nullable(Type.Array(Type.String({ pattern: '^[A-Za-z0-9+/=_\\-\\s]*$' }), { maxItems: 100 })),
});

export const CreateStoreBody = Type.Object({ user_id: Id, store_id: Id });
export const AddBookBody = Type.Object({
  user_id: Id,
  store_id: Id,
  book_info: BookInfo,
  stock_level: Nullable(Type.Integer({ minimum: 0, maximum: 2_147_483_647 })),
});
export const AddStockBody = Type.Object({
  user_id: Id,
  store_id: Id,
  book_id: Id,
  add_stock_level: Type.Integer({ minimum: -2_147_483_647, maximum: 2_147_483_647 }),
});
export const SendBooksBody = Type.Object({ user_id: Id, order_id: Type.String(), store_id: Nullable(Id) });
export const SellerQueryBody = Type.Object({
  user_id: Id,
  store_id: Nullable(Id),
  status: Nullable(OrderStatus),
  page: Page,
  page_size: PageSize,
});


export const sellerSchemas = {
  createStore: { body: CreateStoreBody, response: responses(Message, [401, 511, 514]) },
  addBook: { body: AddBookBody, response: responses(Message, [401, 511, 513, 516]) },
  addStockLevel: { body: AddStockBody, response: responses(Message, [401, 511, 513, 515, 517]) },
  sendBooks: { body: SendBooksBody, response: responses(Message, [401, 511, 518, 520, 521, 525]) },
  queryOrder: { body: SellerQueryBody, response: responses(OrderPage, [401, 511, 513]) },
};
