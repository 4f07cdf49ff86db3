import { NotFoundError } from '../../core/errors.js';
import type { Pool, RowDataPacket } from '../mysql/connection.js';
import { apiRow } from './api-row.js';
import { keysetPage, type Page, type PageRequest } from './keyset-page.js';

export interface Message {
  id: number;
  listing_id: number | null;
  sender_id: number;
  recipient_id: number;
  body: string;
  created_at: string;
  read_at: string | null;
}

const SELECT = 'SELECT id, listing_id, sender_id, recipient_id, body, created_at, read_at FROM messages';

export async function getMessage(pool: Pool, id: number): Promise<Message> {
  const [rows] = await pool.query<RowDataPacket[]>(`${SELECT} WHERE id = ?`, [id]);
  if (!rows[0]) throw new NotFoundError(`message ${id} does not exist`);
  return apiRow<Message>(rows[0]);
}

/** Messages the user sent or received, newest first. */
export function messagesOf(pool: Pool, userId: number, page: PageRequest): Promise<Page<Message>> {
  return keysetPage<Message>(pool, SELECT, { conditions: ['(sender_id = ? OR recipient_id = ?)'], params: [userId, userId] }, page);
}
