// The sms worker role as `up` and `steveslist worker sms` start it: from the settings alone it
// says SMS is off, or texts through the Twilio SDK at the configured address (a stand-in for
// Twilio on 127.0.0.1, since the service cannot be reached here).
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config/index.js';
import { createListing } from '../../marketplace/domain/listings.js';
import { placeOrder } from '../../marketplace/domain/orders.js';
import { createUser } from '../../marketplace/domain/users.js';
import { capturedLog } from '../../test/fixtures/captured-log.js';
import { startTestReader, type TestReader } from '../../test/fixtures/cdc.js';
import { createTestDatabase, type TestDatabase } from '../../test/fixtures/database.js';
import { until } from '../../test/fixtures/eventually.js';
import { tempDir } from '../../test/fixtures/temp-dir.js';
import { startTwilioStandIn, type TwilioStandIn } from '../../test/fixtures/twilio-stand-in.js';
import { closeAll, type RoleContext } from './role-context.js';
import { startSmsWorker } from './workers.js';

const dir = tempDir();
let db: TestDatabase;
let cdc: TestReader;
let twilioApi: TwilioStandIn;

beforeAll(async () => {
  twilioApi = await startTwilioStandIn();
  db = await createTestDatabase('smsrole');
  cdc = await startTestReader(db.url, join(dir.path, 'cdc'));
});
afterAll(async () => {
  await cdc?.stop();
  await db?.close();
  await twilioApi?.close();
  dir.remove();
});

const context = (env: Record<string, string>) => {
  const logs = capturedLog('info');
  const config = loadConfig({ TOPIC_PREFIX: 'sl', ...env }, { cwd: dir.path, dotEnv: false });
  const ctx = { config, log: logs.log, db: { pool: db.pool } as unknown as RoleContext['db'], bus: cdc.bus, closers: [] } as RoleContext;
  return { ctx, logs };
};

describe('the sms role', () => {
  it('says SMS is off when Twilio is not set up, and starts nothing', async () => {
    const { ctx, logs } = context({});
    await startSmsWorker(ctx);
    expect(logs.text()).toContain('SMS is off: set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM');
    expect(ctx.closers).toHaveLength(0);
  });

  it('texts through the configured Twilio address, without logging the auth token', async () => {
    const { ctx, logs } = context({
      TWILIO_ACCOUNT_SID: twilioApi.accountSid, TWILIO_AUTH_TOKEN: twilioApi.authToken, TWILIO_FROM: '+15005550006', TWILIO_API_URL: twilioApi.url,
      SMS_STATUS_CALLBACK_URL: 'https://api.steveslist.example/v1/sms/status',
    });
    await startSmsWorker(ctx);
    try {
      const seller = await createUser(db.pool, { email: 'role-seller@example.com', name: 'Sam', passwordHash: 'x' });
      const buyer = await createUser(db.pool, { email: 'role-buyer@example.com', name: 'Bea', passwordHash: 'x' });
      await db.pool.query('INSERT INTO user_phones (user_id, phone_e164, verified_at) VALUES (?, ?, UTC_TIMESTAMP(6))', [buyer.id, '+447700900999']);
      const listingId = await createListing(db.pool, { sellerId: seller.id, name: 'Chair', description: 'x', category: 'furniture', country: 'GB', city: 'York', priceAmount: 1_000, priceCurrency: 'gbp' });
      await placeOrder(db.pool, listingId, buyer.id);
      const [sms] = await until(() => twilioApi.messages.filter((m) => m.to === '+447700900999'), (m) => m.length > 0);
      expect(sms).toMatchObject({ from: '+15005550006', statusCallback: expect.stringMatching(/^https:\/\/api\.steveslist\.example\/v1\/sms\/status\?sms=\d+$/) });
      expect(logs.text()).not.toContain(twilioApi.authToken);
    } finally {
      await closeAll(ctx.closers, ctx.log);
    }
  });
});
