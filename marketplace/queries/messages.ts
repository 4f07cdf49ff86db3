import { NotFoundError } from '../../core/errors.js';
import type { Pool, ResultSetHeader, RowDataPacket } from '../mysql/connection.js';
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

/**
 * A conversation: the messages between the user and one counterpart about one listing (or about
 * no listing). The inbox lists them by their newest message.
 */
export interface Thread {
  listing_id: number | null;
  listing_name: string | null;
  counterpart_id: number;
  counterpart_name: string;
  last_message_id: number;
  last_sender_id: number;
  last_body: string;
  last_at: string;
  /** Messages to the user in this thread not yet read. */
  unread: number;
}

/** The user's threads, newest activity first; `beforeId` pages by the last message's id. */
export async function threadsOf(pool: Pool, userId: number, page: PageRequest): Promise<Page<Thread & { id: number }>> {
  const [rows] = await pool.query<RowDataPacket[]>(
    `SELECT t.listing_id, l.name AS listing_name, t.counterpart_id, u.name AS counterpart_name,
            m.id AS last_message_id, m.sender_id AS last_sender_id, m.body AS last_body, m.created_at AS last_at, t.unread
       FROM (SELECT listing_id, IF(sender_id = ?, recipient_id, sender_id) AS counterpart_id, MAX(id) AS last_id,
                    SUM(recipient_id = ? AND read_at IS NULL) AS unread
               FROM messages WHERE sender_id = ? OR recipient_id = ?
              GROUP BY listing_id, counterpart_id) AS t
       JOIN messages m ON m.id = t.last_id
       JOIN users u ON u.id = t.counterpart_id
       LEFT JOIN listings l ON l.id = t.listing_id
      ${page.beforeId === undefined ? '' : 'WHERE t.last_id < ?'}
      ORDER BY t.last_id DESC LIMIT ?`,
    [userId, userId, userId, userId, ...(page.beforeId === undefined ? [] : [page.beforeId]), page.limit + 1],
  );
  const items = rows.slice(0, page.limit).map((row) => {
    const thread = apiRow<Thread>(row);
    // SUM comes back as DECIMAL text; the paging key is the last message's id.
    return { ...thread, unread: Number(row.unread), id: thread.last_message_id };
  });
  return { items, nextBeforeId: rows.length > page.limit ? items.at(-1)!.id : undefined };
}

/** Every message between the user and the counterpart about the listing (null: about none), oldest first. */
export async function threadMessages(pool: Pool, userId: number, counterpartId: number, listingId: number | null): Promise<Message[]> {
  const [rows] = await pool.query<RowDataPacket[]>(
    `${SELECT} WHERE ((sender_id = ? AND recipient_id = ?) OR (sender_id = ? AND recipient_id = ?)) AND listing_id <=> ? ORDER BY id LIMIT 1000`,
    [userId, counterpartId, counterpartId, userId, listingId],
  );
  return rows.map((row) => apiRow<Message>(row));
}

/** Marks what the counterpart sent the user in the thread as read; answers how many changed. */
export async function markThreadRead(pool: Pool, userId: number, counterpartId: number, listingId: number | null): Promise<number> {
  const [result] = await pool.query<ResultSetHeader>(
    'UPDATE messages SET read_at = CURRENT_TIMESTAMP(6) WHERE recipient_id = ? AND sender_id = ? AND listing_id <=> ? AND read_at IS NULL',
    [userId, counterpartId, listingId],
  );
  return result.affectedRows;
}

export async function unreadCount(pool: Pool, userId: number): Promise<number> {
  const [rows] = await pool.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM messages WHERE recipient_id = ? AND read_at IS NULL', [userId]);
  return Number(rows[0]!.n);
}
