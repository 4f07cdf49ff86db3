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
  /** Names as they are now, so a buyer sees who sold it and a seller who bought it. */
  listing_name: string | null;
  buyer_name: string | null;
  seller_name: string | null;
}

// Scalar subqueries rather than joins keep `id` unambiguous for the keyset page's WHERE and ORDER BY.
const SELECT = `SELECT id, listing_id, buyer_id, seller_id, amount, currency, status, created_at,
  (SELECT l.name FROM listings l WHERE l.id = orders.listing_id) AS listing_name,
  (SELECT b.name FROM users b WHERE b.id = orders.buyer_id) AS buyer_name,
  (SELECT s.name FROM users s WHERE s.id = orders.seller_id) AS seller_name
  FROM orders`;

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
