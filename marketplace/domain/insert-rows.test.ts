import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/fixtures/database.js';
import { createMysqlPool, type Pool, type PoolConnection, type RowDataPacket } from '../mysql/connection.js';
import { insertRows } from './insert-rows.js';

let db: TestDatabase;
let pool: Pool;
beforeAll(async () => {
  db = await createTestDatabase();
  // One connection: every checkout below is the same session, so its counters add up.
  pool = await createMysqlPool(db.url, { connectionLimit: 1 });
});
afterAll(async () => {
  await pool?.end();
  await db?.close();
});

async function selectsSoFar(connection: PoolConnection): Promise<number> {
  const [[row]] = await connection.query<RowDataPacket[]>("SHOW SESSION STATUS LIKE 'Com_select'");
  return Number(row!.Value);
}

const user = (i: number) => [`insert-rows-${i}@example.com`, `Insert rows ${i}`];

describe('insertRows', () => {
  it('returns the rows\' ids in order', async () => {
    const connection = await pool.getConnection();
    try {
      const ids = await insertRows(connection, 'users', ['email', 'name'], [user(1), user(2), user(3)]);
      const [rows] = await connection.query<RowDataPacket[]>('SELECT id, email FROM users WHERE id IN (?) ORDER BY id', [ids]);
      expect(rows.map((row) => [Number(row.id), row.email])).toEqual(ids.map((id, i) => [id, `insert-rows-${i + 1}@example.com`]));
    } finally {
      connection.release();
    }
  });

  it('reads the server\'s auto-increment mode once per pooled connection, not once per checkout', async () => {
    // The first checkout may read it; later checkouts of the same connection must not ask again.
    const warm = await pool.getConnection();
    await insertRows(warm, 'users', ['email', 'name'], [user(10)]);
    warm.release();
    for (let i = 11; i < 14; i++) {
      const connection = await pool.getConnection();
      try {
        const before = await selectsSoFar(connection);
        await insertRows(connection, 'users', ['email', 'name'], [user(i)]);
        expect(await selectsSoFar(connection)).toBe(before);
      } finally {
        connection.release();
      }
    }
  });
});
