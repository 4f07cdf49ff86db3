import { NotFoundError } from '../../core/errors.js';
import type { PoolConnection, RowDataPacket } from '../mysql/connection.js';

export type UserStatus = 'active' | 'suspended' | 'deleted';

/** The user's row, locked until the transaction ends, so a status check and its change agree. */
export async function lockUser(connection: PoolConnection, id: number): Promise<{ id: number; status: UserStatus }> {
  const [rows] = await connection.query<RowDataPacket[]>('SELECT id, status FROM users WHERE id = ? FOR UPDATE', [id]);
  if (!rows[0]) throw new NotFoundError(`user ${id} does not exist`);
  return { id: Number(rows[0].id), status: rows[0].status as UserStatus };
}
