// Email end to end with a real SMTP server on loopback: events from change capture become emails
// in the mailbox; a refusing server walks an email through its retries to dead.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTopic, startTestReader, type TestReader } from '../../../test/fixtures/cdc.js';
import { createTestDatabase, type TestDatabase } from '../../../test/fixtures/database.js';
import { until } from '../../../test/fixtures/eventually.js';
import { tempDir } from '../../../test/fixtures/temp-dir.js';
import { silentLogger } from '../../../core/log.js';
import { createListing } from '../../../marketplace/domain/listings.js';
import { placeOrder } from '../../../marketplace/domain/orders.js';
import { createUser } from '../../../marketplace/domain/users.js';
import type { RowDataPacket } from '../../../marketplace/mysql/connection.js';
import type { ConsumerRunner } from '../../consumers/runner.js';
import { EmailSender, startEmailEnqueuer } from './email-worker.js';
import { startLocalMailbox, type LocalMailbox } from './local-mailbox.js';

const dir = tempDir();
let db: TestDatabase;
let cdc: TestReader;
let mailbox: LocalMailbox;
let enqueuer: ConsumerRunner;
let sender: EmailSender;
let refuse = false;

beforeAll(async () => {
  mailbox = await startLocalMailbox(join(dir.path, 'mailbox'), { reject: () => (refuse ? 'mailbox temporarily unavailable' : undefined) });
  db = await createTestDatabase('mail');
  cdc = await startTestReader(db.url, join(dir.path, 'cdc'));
  const options = { bus: cdc.bus, pool: db.pool, topicPrefix: 'sl', log: silentLogger(), smtpUrl: mailbox.url, schedule: [0, 50, 100], pollMs: 25 };
  enqueuer = startEmailEnqueuer(options);
  await enqueuer.start();
  sender = new EmailSender(options);
  sender.start();
});
afterAll(async () => {
  await sender?.stop();
  await enqueuer?.stop();
  await cdc?.stop();
  await db?.close();
  await mailbox?.close();
  dir.remove();
});


const emails = async (to: string) => {
  const [rows] = await db.pool.query<RowDataPacket[]>('SELECT template, status, attempts, subject, smtp_response, last_error FROM email_messages WHERE to_address = ? ORDER BY id', [to]);
  return rows;
};

describe('email', () => {
  it('sends the welcome email on signup, through a real SMTP server', async () => {
    await createUser(db.pool, { email: 'zoe@example.com', name: 'Zoë', passwordHash: 'x' });
    const inbox = await until(() => mailbox.messages().filter((m) => m.includes('zoe@example.com')), (m) => m.length > 0);
    expect(inbox).toHaveLength(1);
    expect(inbox[0]).toMatch(/^To: zoe@example\.com$/m);
    expect(inbox[0]).toMatch(/^Subject: Welcome to Steveslist$/m);
    expect(inbox[0]).toContain('Hi Zo');
    const [row] = await until(() => emails('zoe@example.com'), (r) => r[0]?.status === 'sent');
    expect(row).toMatchObject({ template: 'welcome', status: 'sent', attempts: 1, smtp_response: expect.stringMatching(/^250 /) });
  });

  it('sends the buyer a receipt and tells the seller, once each even when events come again', async () => {
    const seller = await createUser(db.pool, { email: 'seller@example.com', name: 'Sam', passwordHash: 'x' });
    const buyer = await createUser(db.pool, { email: 'buyer@example.com', name: 'Bea', passwordHash: 'x' });
    const listingId = await createListing(db.pool, { sellerId: seller.id, name: 'Oak table', description: 'x', category: 'furniture', country: 'GB', city: 'Leeds', priceAmount: 12_550, priceCurrency: 'gbp' });
    const order = await placeOrder(db.pool, listingId, buyer.id);
    const receipt = await until(() => mailbox.messages().filter((m) => m.includes('buyer@example.com') && m.includes('order #')), (m) => m.length > 0);
    expect(receipt[0]).toContain(`Subject: Your order #${order.id}: Oak table`);
    expect(receipt[0]).toContain('125.50 GBP');
    await until(() => mailbox.messages().filter((m) => m.includes('seller@example.com') && m.includes('Sold: Oak table')), (m) => m.length > 0);

    const events = await readTopic(cdc.bus, 'sl.events.order');
    await cdc.bus.publish('sl.events.order', events.map((m) => ({ key: m.key, value: m.value, headers: m.headers })));
    const deadline = Date.now() + 10_000;
    while ((await cdc.bus.lag('email')).some((l) => l.lag > 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    expect((await emails('buyer@example.com')).filter((r) => r.template === 'order_receipt_buyer')).toHaveLength(1);
  });

  it('sends again an email whose sender died while sending it, once its lease ran out', async () => {
    await createUser(db.pool, { email: 'lee@example.com', name: 'Lee', passwordHash: 'x' });
    await until(() => emails('lee@example.com'), (r) => r[0]?.status === 'sent');
    // As a sender killed between claiming the row and hearing back from the server leaves it.
    await db.pool.query(
      "UPDATE email_messages SET status = 'sending', sent_at = NULL, lease_until = UTC_TIMESTAMP(6) - INTERVAL 1 SECOND WHERE to_address = 'lee@example.com'",
    );
    const [row] = await until(() => emails('lee@example.com'), (r) => r[0]?.status === 'sent' && r[0]?.attempts === 2);
    expect(row).toMatchObject({ template: 'welcome', status: 'sent' });
    // At least once: the server may have had it the first time too.
    expect(mailbox.messages().filter((m) => m.includes('lee@example.com'))).toHaveLength(2);
  });

  it('walks an email the server refuses through its retries to dead', async () => {
    refuse = true;
    try {
      await createUser(db.pool, { email: 'unlucky@example.com', name: 'Una', passwordHash: 'x' });
      const seen = new Set<string>();
      const rows = await until(async () => {
        const r = await emails('unlucky@example.com');
        if (r[0]) seen.add(String(r[0].status));
        return r;
      }, (r) => r[0]?.status === 'dead');
      expect(rows[0]).toMatchObject({ status: 'dead', attempts: 3, subject: 'Welcome to Steveslist' });
      expect(rows[0]!.last_error).toMatch(/451.*mailbox temporarily unavailable/);
      expect(seen.has('failed_retrying') || seen.has('sending') || seen.has('rendering')).toBe(true);
      expect(mailbox.messages().some((m) => m.includes('unlucky@example.com'))).toBe(false);
    } finally {
      refuse = false;
    }
  });
});
