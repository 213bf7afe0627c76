import type { OrderStatus } from './order-state.js';

export interface OrderLine {
  id: string;
  title: string | null;
  count: number;
  price: number;
}

/** An order as it stands now (an expired unpaid order reads as cancelled by the timeout). */
export interface OrderRecord {
  order_id: string;
  buyer_id: string;
  store_id: string;
  status: OrderStatus;
  cancel_reason: 'buyer' | 'timeout' | null;
  total_price: number;
  created_at: Date;
  paid_at: Date | null;
  shipped_at: Date | null;
  received_at: Date | null;
  cancelled_at: Date | null;
  books: OrderLine[];
}

export interface OrderPage {
  orders: OrderRecord[];
  total: number;
  page: number;
  page_size: number;
}

/** Order ids are UUIDs made by the server; anything else names no order. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isOrderId = (s: string): boolean => UUID.test(s);
