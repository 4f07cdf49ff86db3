// The staff console's SMS log in a real Chromium against the admin service: support finds an SMS
// by status and opens it to see Twilio's delivery reports in the order they came.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAdminServer } from '../api/admin/server.js';
import { silentLogger } from '../core/log.js';
import { addAdminUser } from '../marketplace/auth/admin-accounts.js';
import { createUser } from '../marketplace/domain/users.js';
import { logSms, recordAccepted, recordFailure, recordStatusCallback } from '../pipelines/sinks/sms/sms-log.js';
import { createTestDatabase, type TestDatabase } from './fixtures/database.js';
import { ROOT } from './fixtures/run-cli.js';

const CONSOLE = join(ROOT, 'api', 'admin', 'console');
const PASSWORD = 'correct horse battery staple';

function stale(): boolean {
  const index = join(CONSOLE, 'dist', 'index.html');
  const built = existsSync(index) ? statSync(index).mtimeMs : 0;
  const sources = [join(CONSOLE, 'index.html'), ...readdirSync(join(CONSOLE, 'src'), { recursive: true, encoding: 'utf8' }).filter((name) => /\.(ts|css)$/.test(name)).map((name) => join(CONSOLE, 'src', name))];
  return Math.max(...sources.map((path) => statSync(path).mtimeMs)) > built;
}

let db: TestDatabase;
let admin: FastifyInstance;
let adminUrl: string;
let browser: Browser;
let delivered: number;
let dead: number;

beforeAll(async () => {
  if (stale()) await build({ configFile: join(CONSOLE, 'vite.config.ts'), logLevel: 'warn' });
  db = await createTestDatabase('consolesms');
  await addAdminUser(db.pool, 'sue', PASSWORD, { role: 'support' });
  const user = await createUser(db.pool, { email: 'texted@example.com', name: 'Tex', passwordHash: 'x' });
  delivered = await logSms(db.pool, { userId: user.id, kind: 'order_placed_buyer', to: '+447700900888', body: 'Steveslist: you bought "Lamp" for 12.00 GBP (order 7).' });
  await recordAccepted(db.pool, delivered, 1, { sid: `SM${'a'.repeat(32)}`, status: 'queued' });
  await recordStatusCallback(db.pool, delivered, { sid: `SM${'a'.repeat(32)}`, status: 'sent' });
  await recordStatusCallback(db.pool, delivered, { sid: `SM${'a'.repeat(32)}`, status: 'delivered' });
  dead = await logSms(db.pool, { userId: user.id, kind: 'message_received', to: '+447700900888', body: 'Steveslist: you have a new message.' });
  await recordFailure(db.pool, dead, { status: 'dead', attempts: 4, error: 'dead after 4 attempts: Twilio answered HTTP 503 (error 20503): Service Unavailable', errorCode: 20503 });
  admin = await buildAdminServer({ pool: db.pool, log: silentLogger() });
  adminUrl = await admin.listen({ host: '127.0.0.1', port: 0 });
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
}, 180_000);
afterAll(async () => {
  await browser?.close();
  await admin?.close();
  await db?.close();
});

describe('the staff console\'s SMS log', () => {
  it('lists the SMS by status and shows one with its delivery reports', async () => {
    const page = await (await browser.newContext({ locale: 'en-GB', viewport: { width: 1280, height: 800 } })).newPage();
    const scriptErrors: string[] = [];
    page.on('pageerror', (error) => scriptErrors.push(error.message));
    await page.goto(`${adminUrl}/`);
    await page.getByLabel('Username').fill('sue');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByTestId('signed-in-as').filter({ hasText: 'sue' }).waitFor();

    await page.getByRole('link', { name: 'SMS log' }).click();
    await page.getByRole('link', { name: `#${dead}`, exact: true }).waitFor();
    await page.getByLabel('Status').selectOption('dead');
    await expect.poll(() => page.getByRole('link', { name: `#${delivered}`, exact: true }).count()).toBe(0);
    await page.getByText('Twilio answered HTTP 503 (error 20503): Service Unavailable', { exact: false }).waitFor();
    if (process.env.STAFF_CONSOLE_SHOTS) await page.screenshot({ path: join(process.env.STAFF_CONSOLE_SHOTS, 'sms-log.png'), fullPage: true });

    await page.goto(`${adminUrl}/sms/${delivered}`);
    await page.getByRole('heading', { name: `SMS #${delivered}` }).waitFor();
    const reports = page.locator('.timeline li');
    await expect.poll(() => reports.count()).toBe(2);
    expect(await reports.allInnerTexts()).toEqual([expect.stringMatching(/^sent/), expect.stringMatching(/^delivered/)]);
    await page.getByText('Steveslist: you bought "Lamp" for 12.00 GBP (order 7).').waitFor();
    if (process.env.STAFF_CONSOLE_SHOTS) await page.screenshot({ path: join(process.env.STAFF_CONSOLE_SHOTS, 'sms-one.png'), fullPage: true });
    expect(scriptErrors).toEqual([]);
  });
});
