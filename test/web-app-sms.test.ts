// The web app's SMS settings in a real Chromium, against the public server with the twilio SDK
// pointed at a stand-in for Twilio's API on 127.0.0.1 (the real service cannot be reached here):
// add a number, see a wrong code refused beside the field, verify with the texted code, turn
// message texts off, and remove the number.
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPublicServer } from '../api/public/server.js';
import { silentLogger } from '../core/log.js';
import type { RowDataPacket } from '../marketplace/mysql/connection.js';
import { TwilioSms } from '../pipelines/sinks/sms/twilio-sms.js';
import { createTestDatabase, type TestDatabase } from './fixtures/database.js';
import { httpClient } from './fixtures/http-client.js';
import { startTwilioStandIn, type TwilioStandIn } from './fixtures/twilio-stand-in.js';
import { buildOnce, PHONE } from './fixtures/web-app.js';

let db: TestDatabase;
let twilioApi: TwilioStandIn;
let app: FastifyInstance;
let baseUrl: string;
let browser: Browser;

beforeAll(async () => {
  await buildOnce();
  twilioApi = await startTwilioStandIn();
  db = await createTestDatabase('websms');
  const sms = new TwilioSms({ accountSid: twilioApi.accountSid, authToken: twilioApi.authToken, from: '+15005550006', messagingServiceSid: undefined, apiUrl: twilioApi.url, timeoutMs: 5_000 });
  app = await buildPublicServer({ pool: db.pool, log: silentLogger(), rateLimit: { perMinute: 100_000, authPerMinute: 100_000 }, sms: { port: sms, authToken: twilioApi.authToken } });
  baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
}, 180_000);
afterAll(async () => {
  await browser?.close();
  await app?.close();
  await db?.close();
  await twilioApi?.close();
});

/** A page logged in as a new user. */
async function loggedInPage(viewport = { width: 1280, height: 800 }) {
  const call = httpClient(baseUrl);
  const { body } = await call('POST', '/v1/users', { body: { email: `web-sms-${Date.now()}-${Math.random().toString(36).slice(2, 7)}@example.com`, password: 'correct horse battery', name: 'Tess Texter' } });
  const context = await browser.newContext({ locale: 'en-US', viewport });
  // The session as the log-in form stores it.
  await context.addInitScript(`localStorage.setItem('steveslist.session', ${JSON.stringify(JSON.stringify({ token: body.session.token, user: body.user }))})`);
  const page = await context.newPage();
  const scriptErrors: string[] = [];
  page.on('pageerror', (error) => scriptErrors.push(error.message));
  return { page, scriptErrors, userId: body.user.id as number };
}

const shot = async (page: import('playwright-core').Page, name: string) => {
  if (process.env.WEB_SCREENSHOTS) await page.screenshot({ path: `${process.env.WEB_SCREENSHOTS}/${name}-${page.viewportSize()?.width}.png`, fullPage: true });
};

describe('the web app\'s SMS settings', () => {
  it('adds a number, refuses a wrong code beside the field, verifies the right one and sets the preferences', async () => {
    const { page, scriptErrors, userId } = await loggedInPage();
    await page.goto(`${baseUrl}/`);
    await page.getByRole('link', { name: 'Settings' }).click();
    const block = page.getByTestId('sms-settings');
    await block.getByRole('heading', { name: 'Text messages (SMS)' }).waitFor();

    await block.getByLabel('Mobile number').fill('07700 900777');
    await block.getByRole('button', { name: 'Text me a code' }).click();
    await expect.poll(() => block.locator('#sms-phone-error').textContent()).toBe('start with + and the country code, e.g. +44 7700 900123 or +1 415 555 0100');
    expect(await block.getByLabel('Mobile number').getAttribute('aria-invalid')).toBe('true');
    await shot(page, 'sms-settings-bad-number');

    await block.getByLabel('Mobile number').fill('+44 7700 900777');
    await block.getByRole('button', { name: 'Text me a code' }).click();
    await block.getByText('We texted a 6-digit code to +447700900777.', { exact: false }).waitFor();
    const code = /code is (\d{6})/.exec(twilioApi.messages.find((m) => m.to === '+447700900777')!.body)![1]!;
    await block.getByLabel('Code').fill(code === '000000' ? '111111' : '000000');
    await block.getByRole('button', { name: 'Verify' }).click();
    await expect.poll(() => block.locator('#sms-code-error').textContent()).toBe('wrong code; 4 tries left');
    await shot(page, 'sms-settings-wrong-code');

    await block.getByLabel('Code').fill(code);
    await block.getByRole('button', { name: 'Verify' }).click();
    await block.getByTestId('sms-number').filter({ hasText: '+447700900777' }).waitFor();
    expect(await block.getByLabel('I buy or sell something').isChecked()).toBe(true);
    await block.getByLabel('someone writes to me').uncheck();
    await expect.poll(async () => {
      const [[row]] = await db.pool.query<RowDataPacket[]>('SELECT verified_at, sms_orders, sms_messages FROM user_phones WHERE user_id = ?', [userId]);
      return row && { verified: row.verified_at !== null, orders: row.sms_orders, messages: row.sms_messages };
    }).toEqual({ verified: true, orders: 1, messages: 0 });
    await shot(page, 'sms-settings-verified');

    await block.getByRole('button', { name: 'Remove number' }).click();
    await block.getByLabel('Mobile number').waitFor();
    const [rows] = await db.pool.query<RowDataPacket[]>('SELECT user_id FROM user_phones WHERE user_id = ?', [userId]);
    expect(rows).toHaveLength(0);
    expect(scriptErrors).toEqual([]);
  });

  it('fits a phone\'s screen', async () => {
    const { page, scriptErrors } = await loggedInPage(PHONE);
    await page.goto(`${baseUrl}/settings`);
    await page.getByTestId('sms-settings').getByLabel('Mobile number').waitFor();
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(PHONE.width);
    await shot(page, 'sms-settings-empty');
    expect(scriptErrors).toEqual([]);
  });
});
