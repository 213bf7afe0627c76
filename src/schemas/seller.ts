import { Type } from 'typebox';
import {
  ContentText,
  Id,
  IntroText,
  Message,
  Nullable,
  OrderPage,
  OrderStatus,
  Page,
  PageSize,
  ShortText,
  Token,
  responses,
  storableText,
} from './common.js';

export const MAX_TAGS = 100;
export const MAX_TAG_CHARS = 255;
export const MAX_PICTURES = 16;
/** A picture is at most 2 MiB; it travels as base64, 4 characters per 3 bytes. */
export const MAX_PICTURE_BYTES = 2 * 1024 * 1024;
export const MAX_PICTURE_CHARS = 4 * Math.ceil(MAX_PICTURE_BYTES / 3);

export const BookInfo = Type.Object({
  id: Id,
  title: Nullable(ShortText),
  author: Nullable(ShortText),
  publisher: Nullable(ShortText),
  original_title: Nullable(ShortText),
  translator: Nullable(ShortText),
  pub_year: Nullable(ShortText),
  pages: Nullable(Type.Integer({ minimum: 0, maximum: 2_147_483_647 })),
  price: Nullable(Type.Integer({ minimum: 0, maximum: 1_000_000_000_000 })),
  currency_unit: Nullable(ShortText),
  binding: Nullable(ShortText),
  isbn: Nullable(ShortText),
  author_intro: Nullable(IntroText),
  book_intro: Nullable(IntroText),
  content: Nullable(ContentText),
  tags: Nullable(Type.Array(storableText(MAX_TAG_CHARS), { maxItems: MAX_TAGS })),
  pictures: Nullable(
    Type.Array(Type.String({ maxLength: MAX_PICTURE_CHARS, pattern: '^[A-Za-z0-9+/=_\\-\\s]*$' }), { maxItems: MAX_PICTURES }),
  ),
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
export const SendBooksBody = Type.Object({ user_id: Id, order_id: Token, store_id: Nullable(Id) });
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
