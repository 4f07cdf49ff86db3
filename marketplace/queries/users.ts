import { NotFoundError } from '../../core/errors.js';
import type { Pool, RowDataPacket } from '../mysql/connection.js';
import { apiRow } from './api-row.js';

export interface User {
  id: number;
  email: string;
  name: string;
  country: string | null;
  city: string | null;
  status: string;
  created_at: string;
}

export async function getUser(pool: Pool, id: number): Promise<User> {
  const [rows] = await pool.query<RowDataPacket[]>('SELECT id, email, name, country, city, status, created_at FROM users WHERE id = ?', [id]);
  if (!rows[0]) throw new NotFoundError(`user ${id} does not exist`);
  return apiRow<User>(rows[0]);
}
