import { NotFoundError, RateLimited } from '../../core/errors.js';
import type { Pool, PoolConnection, ResultSetHeader, RowDataPacket } from '../mysql/connection.js';
import { appendToOutbox } from './outbox.js';
import { withTransaction } from './transaction.js';

export interface NewMessage {
  listingId: number | null;
  senderId: number;
  recipientId: number;
  body: string;
}

/** Stores a message and writes `message.received` (the recipient's notification comes from it). */
export async function sendMessage(pool: Pool, message: NewMessage): Promise<number> {
  return withTransaction(pool, async (connection) => {
    await checkRateLimit(connection, message.senderId);
    const [result] = await connection.query<ResultSetHeader>(
      'INSERT INTO messages (listing_id, sender_id, recipient_id, body) VALUES (?, ?, ?, ?)',
      [message.listingId, message.senderId, message.recipientId, message.body],
    ).catch((error: { code?: string }) => {
      // The listing (or a user) was deleted meanwhile: a business outcome, not a failure.
      if (error.code === 'ER_NO_REFERENCED_ROW_2') throw new NotFoundError(`listing ${message.listingId} or a user of the message no longer exists`);
      throw error;
    });
    await appendToOutbox(connection, [{
      aggregateType: 'message', aggregateId: result.insertId, type: 'message.received',
      payload: { id: result.insertId, listing_id: message.listingId, sender_id: message.senderId, recipient_id: message.recipientId },
    }]);
    return result.insertId;
  });
}

/** A sender the spam checks rate-limited may send `per_hour` messages an hour until the limit ends. */
async function checkRateLimit(connection: PoolConnection, senderId: number): Promise<void> {
  const [limits] = await connection.query<RowDataPacket[]>(
    'SELECT per_hour, limited_until FROM message_rate_limits WHERE user_id = ? AND limited_until > UTC_TIMESTAMP(6)', [senderId]);
  const limit = limits[0];
  if (!limit) return;
  const [[sent]] = await connection.query<RowDataPacket[]>(
    'SELECT COUNT(*) AS n FROM messages WHERE sender_id = ? AND created_at > UTC_TIMESTAMP(6) - INTERVAL 1 HOUR', [senderId]);
  if (Number(sent!.n) >= Number(limit.per_hour)) {
    throw new RateLimited(`this account may send ${Number(limit.per_hour)} messages an hour until ${String(limit.limited_until).slice(0, 16)} UTC (our spam checks limited it); try again later or contact support`);
  }
}
