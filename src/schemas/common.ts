import { Type, type TSchema } from 'typebox';
import { ORDER_STATUSES, type OrderStatus as OrderStatusValue } from '../domain/order-state.js';

/** Optional in the contract means "absent or null". */
export const Nullable = <T extends TSchema>(schema: T) => Type.Optional(Type.Union([schema, Type.Null()]));

/**
 * Text must be Unicode that PostgreSQL can store: no NUL, no lone UTF-16 surrogate (which would
 * silently become U+FFFD and make two different ids collide).
 */
const STORABLE_TEXT = '^[^\\u0000\\uD800-\\uDFFF]*$';
/** Caller-chosen ids: 1–255 Unicode code points. */
export const Id = Type.String({ minLength: 1, maxLength: 255, pattern: STORABLE_TEXT });

/**
 * Size caps: each request does bounded work (issue 10). Lengths count code points, as Ajv does.
 * Short descriptive fields (title, author, currency unit…), intros, a book's content.
 */
export const MAX_SHORT_TEXT_CHARS = 1_000;
export const MAX_INTRO_CHARS = 64 * 1024;
export const MAX_CONTENT_CHARS = 1024 * 1024;
export const storableText = (maxLength: number) => Type.String({ maxLength, pattern: STORABLE_TEXT });
export const ShortText = storableText(MAX_SHORT_TEXT_CHARS);
export const IntroText = storableText(MAX_INTRO_CHARS);
export const ContentText = storableText(MAX_CONTENT_CHARS);
/** Server-made ids (order ids are UUIDs) and client labels such as a login terminal. */
export const Token = storableText(255);

/**
 * One declaration for every password field: non-empty, at most 1,024 characters, and no lone
 * UTF-16 surrogate (encoded for hashing it would silently become U+FFFD, so two different
 * passwords would verify as the same one).
 */
export const Password = Type.String({ minLength: 1, maxLength: 1024, pattern: '^[^\\uD800-\\uDFFF]*$' });

/** A positive count: a JSON integer or, as the course spec types it, a string of digits. */
export const Count = Type.Union([
  Type.Integer({ minimum: 1, maximum: 1_000_000_000 }),
  Type.String({ pattern: '^0*[1-9][0-9]{0,8}$' }),
]);

export const MAX_MONEY = Number.MAX_SAFE_INTEGER;
export const Money = Type.Integer({ minimum: -MAX_MONEY, maximum: MAX_MONEY });

export const Message = Type.Object({ message: Type.String() });
export const ErrorBody = Type.Object({ message: Type.String(), request_id: Type.Optional(Type.String()) });

// Built from the domain's list, so TypeScript cannot see the literals: Unsafe restores the type.
export const OrderStatus = Type.Unsafe<OrderStatusValue>(Type.Union(ORDER_STATUSES.map((s) => Type.Literal(s))));

export const Page = Nullable(Type.Integer({ minimum: 1, maximum: 1_000_000 }));
export const PageSize = Nullable(Type.Integer({ minimum: 1, maximum: 100 }));

export const OrderBook = Type.Object({
  id: Type.String(),
  title: Type.Union([Type.String(), Type.Null()]),
  count: Type.Integer(),
  price: Type.Integer(),
});

/** A point in time: a Date in the code, an ISO 8601 string on the wire (the serializer converts it). */
export const DateTime = Type.Unsafe<Date>(Type.String({ format: 'date-time' }));
const NullableDateTime = Type.Unsafe<Date | null>(Type.Union([Type.String({ format: 'date-time' }), Type.Null()]));

export const Order = Type.Object({
  order_id: Type.String(),
  buyer_id: Type.String(),
  store_id: Type.String(),
  status: OrderStatus,
  cancel_reason: Type.Union([Type.Literal('buyer'), Type.Literal('timeout'), Type.Null()]),
  total_price: Type.Integer(),
  created_at: DateTime,
  paid_at: NullableDateTime,
  shipped_at: NullableDateTime,
  received_at: NullableDateTime,
  cancelled_at: NullableDateTime,
  books: Type.Array(OrderBook),
});


export const OrderPage = Type.Object({
  message: Type.String(),
  orders: Type.Array(Order),
  total: Type.Integer(),
  page: Type.Integer(),
  page_size: Type.Integer(),
});

/** Responses of every endpoint: 200 with its body, and each listed error status with {message}. */
export function responses(ok: TSchema, errorStatuses: readonly number[]): Record<number, TSchema> {
  const out: Record<number, TSchema> = { 200: ok, 400: ErrorBody, 500: ErrorBody };
  for (const status of errorStatuses) out[status] = ErrorBody;
  return out;
}
