import { NotFoundError } from '../../core/errors.js';
import type { Pool, ResultSetHeader } from '../mysql/connection.js';
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
