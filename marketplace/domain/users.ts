import type { Pool, PoolConnection } from '../mysql/connection.js';
import { insertRows, TIMESTAMP_COLUMNS } from './insert-rows.js';
import { appendToOutbox } from './outbox.js';
import { withTransaction } from './transaction.js';

export interface NewUser {
  email: string;
  name: string;
  country?: string | null;
  city?: string | null;
  /** Already hashed (see marketplace/auth); this layer never sees a password. */
  passwordHash: string;
  /** Back-dates the row (sample data); the database's clock is used when absent. */
  createdAt?: Date;
}

export interface CreatedUser {
  id: number;
  email: string;
  name: string;
}

/** Inserts users with their credentials and one `user.signed_up` event each. */
export async function insertUsers(connection: PoolConnection, users: readonly NewUser[]): Promise<CreatedUser[]> {
  const dated = users.every((u) => u.createdAt);
  const ids = await insertRows(connection, 'users',
    ['email', 'name', 'country', 'city', ...(dated ? TIMESTAMP_COLUMNS : [])],
    users.map((u) => [u.email, u.name, u.country ?? null, u.city ?? null, ...(dated ? [u.createdAt, u.createdAt] : [])]));
  await insertRows(connection, 'user_credentials', ['user_id', 'password_hash'], users.map((u, i) => [ids[i], u.passwordHash]));
  await appendToOutbox(connection, users.map((u, i) => ({
    aggregateType: 'user',
    aggregateId: ids[i]!,
    type: 'user.signed_up',
    payload: { id: ids[i], email: u.email, name: u.name, country: u.country ?? null, city: u.city ?? null },
  })));
  return users.map((u, i) => ({ id: ids[i]!, email: u.email, name: u.name }));
}

export async function createUser(pool: Pool, user: NewUser): Promise<CreatedUser> {
  const [created] = await withTransaction(pool, (connection) => insertUsers(connection, [user]));
  return created!;
}
