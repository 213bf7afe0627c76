import { Type } from 'typebox';
import { Count, Id, Message, Money, Nullable, OrderPage, OrderStatus, Page, PageSize, Password, Token, responses } from './common.js';

export const NewOrderBody = Type.Object({
  user_id: Id,
  store_id: Id,
  books: Type.Array(Type.Object({ id: Id, count: Count }), { minItems: 1, maxItems: 1000 }),
});
export const PaymentBody = Type.Object({ user_id: Id, order_id: Token, password: Password });
export const AddFundsBody = Type.Object({ user_id: Id, password: Password, add_value: Money });
/** Without order_id this URL answers like query_order (the course spec documents both under it). */
export const CloseOrderBody = Type.Object({
  user_id: Id,
  password: Password,
  order_id: Nullable(Token),
  status: Nullable(OrderStatus),
  page: Page,
  page_size: PageSize,
});
export const ReceiveBody = Type.Object({ buyer_id: Nullable(Id), user_id: Nullable(Id), order_id: Token });
export const BuyerQueryBody = Type.Object({
  user_id: Id,
  password: Password,
  status: Nullable(OrderStatus),
  page: Page,
  page_size: PageSize,
});

export const buyerSchemas = {
  newOrder: {
    body: NewOrderBody,
    response: responses(Type.Object({ message: Type.String(), order_id: Type.String() }), [401, 512, 513, 515, 517]),
  },
  payment: { body: PaymentBody, response: responses(Message, [401, 512, 513, 518, 519]) },
  addFunds: { body: AddFundsBody, response: responses(Message, [401, 519]) },
  closeOrder: {
    body: CloseOrderBody,
    response: responses(Type.Union([OrderPage, Message]), [401, 512, 513, 518, 521, 524]),
  },
  receiveBooks: { body: ReceiveBody, response: responses(Message, [401, 518, 521, 522, 523]) },
  queryOrder: { body: BuyerQueryBody, response: responses(OrderPage, [401]) },
};
