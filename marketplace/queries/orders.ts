import { NotFoundError } from '../../core/errors.js';
import type { Pool, RowDataPacket } from '../mysql/connection.js';
import { apiRow } from './api-row.js';
import { keysetPage, type Page, type PageRequest } from './keyset-page.js';

export interface Order {
  id: number;
  listing_id: number;
  buyer_id: number;
  seller_id: number;
  amount: number;
  currency: string;
  status: string;
  created_at: string;
}

const SELECT = 'SELECT id, listing_id, buyer_id, seller_id, amount, currency, status, created_at FROM orders';

/** An order its buyer or seller may see; to anyone else it does not exist. */
export async function getOrder(pool: Pool, id: number, viewerId: number): Promise<Order> {
  const [rows] = await pool.query<RowDataPacket[]>(`${SELECT} WHERE id = ? AND (buyer_id = ? OR seller_id = ?)`, [id, viewerId, viewerId]);
  if (!rows[0]) throw new NotFoundError(`order ${id} does not exist`);
  return apiRow<Order>(rows[0]);
}

export function ordersOf(pool: Pool, userId: number, role: 'buyer' | 'seller' | undefined, page: PageRequest): Promise<Page<Order>> {
  const filter = role
    ? { conditions: [`${role}_id = ?`], params: [userId] }
    : { conditions: ['(buyer_id = ? OR seller_id = ?)'], params: [userId, userId] };
  return keysetPage<Order>(pool, SELECT, filter, page);
}
