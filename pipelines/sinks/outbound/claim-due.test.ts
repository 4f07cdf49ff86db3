// A sender's claim beside an enqueuer's open insert: the claim takes the due rows it found and
// nothing else. Its UPDATE once scanned the whole (small) queue and waited on the row being
// inserted, while the insert waited on the gap the claim's SELECT had locked: a deadlock about
// every minute under a steady stream of new emails. A real MariaDB; the claim's lock wait of 1 s
// instead of 50 makes the old behaviour fail fast.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test/fixtures/database.js';
import { createUser } from '../../../marketplace/domain/users.js';
import { createMysqlPool, type RowDataPacket } from '../../../marketplace/mysql/connection.js';
import { claimDue } from './claim-due.js';

let db: TestDatabase;
let userId: number;

beforeAll(async () => {
  db = await createTestDatabase('claim');
  userId = (await createUser(db.pool, { email: 'claim@example.com', name: 'Claire', passwordHash: 'x' })).id;
});
afterAll(async () => {
  await db?.close();
});

const queueRow = (event: string) => [userId, event, 'welcome', 'claim@example.com', '', '{}', new Date(Date.now() - 1000)];
const INSERT = 'INSERT INTO email_messages (user_id, event_id, template, to_address, subject, data, next_attempt_at) VALUES ?';

describe('claiming due rows', () => {
  it('claims the due rows while another connection is inserting one, without waiting on it', async () => {
    await db.pool.query(INSERT, [Array.from({ length: 6 }, (_, n) => queueRow(`00000000-0000-7000-8000-00000000000${n}`))]);
    const inserting = await db.pool.getConnection();
    try {
      await inserting.beginTransaction();
      await inserting.query(INSERT, [[queueRow('00000000-0000-7000-8000-000000000099')]]);
      // One connection, so the session's setting holds for the claim.
      const sender = await createMysqlPool(db.url, { connectionLimit: 1 });
      try {
        await sender.query('SET SESSION innodb_lock_wait_timeout = 1');
        const ids = await claimDue(sender, { table: 'email_messages', waiting: ['queued'], inFlight: 'rendering', leaseSeconds: 60, limit: 50 });
        expect(ids).toHaveLength(6);
      } finally {
        await sender.end();
      }
      await inserting.commit();
    } finally {
      inserting.release();
    }
    const [[row]] = await db.pool.query<RowDataPacket[]>(
      "SELECT status FROM email_messages WHERE event_id = '00000000-0000-7000-8000-000000000099'",
    );
    expect(row).toMatchObject({ status: 'queued' });
  });
});
