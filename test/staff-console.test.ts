// The staff console in a real browser against the real platform (`steveslist up`): logging in
// (with a second factor too), taking a listing down with a reason and finding it in the audit
// trail, resolving a complaint, replaying a dead letter, running SQL and downloading CSV, and a
// role's refusal coming from the API itself. Screenshots of each page go to STAFF_CONSOLE_SHOTS
// when it is set, for a person to look at.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addAdminUser } from '../marketplace/auth/admin-accounts.js';
import { totpCode } from '../marketplace/auth/totp.js';
import { signUp } from '../marketplace/auth/user-accounts.js';
import { fileComplaint } from '../marketplace/domain/complaints.js';
import type { RowDataPacket } from '../marketplace/mysql/connection.js';
import { createEndpoint } from '../marketplace/webhooks/endpoints.js';
import { createTestDatabase, type TestDatabase } from './fixtures/database.js';
import { directListings } from './fixtures/direct-listings.js';
import { until } from './fixtures/eventually.js';
import { httpClient } from './fixtures/http-client.js';
import { buildConsoleWhenChanged, logInStaff, openPage as openIn, screenshotTo, startPlatformWithBrowser, type RunningPlatform } from './fixtures/staff-console.js';
import { tempDir } from './fixtures/temp-dir.js';

const PASSWORD = 'correct horse battery staple';
const SHOTS = process.env.STAFF_CONSOLE_SHOTS;

const dir = tempDir();
let db: TestDatabase;
let platform: RunningPlatform | undefined;
let adminUrl: string;
let webUrl: string;
let totpSecret: string;
const listings = () => directListings(db.pool, { email: 'console-seller@example.com', name: 'Console Seller' });
let writer: ReturnType<typeof listings> | undefined;

beforeAll(async () => {
  await buildConsoleWhenChanged();
  db = await createTestDatabase('console');
  platform = await startPlatformWithBrowser(db.url, dir.path);
  ({ webUrl, adminUrl } = platform);
  for (const [username, role] of [['mona', 'moderator'], ['otto', 'operator'], ['anna', 'analyst'], ['adam', 'admin'], ['sue', 'support']] as const) {
    await addAdminUser(db.pool, username, PASSWORD, { role });
  }
  const withTotp = await addAdminUser(db.pool, 'tess', PASSWORD, { role: 'operator', totp: true });
  totpSecret = new URL(withTotp.totpUri!).searchParams.get('secret')!;
  writer = listings();
}, 180_000);

afterAll(async () => {
  await platform?.stop();
  await db?.close();
  dir.remove();
});

const openPage = (path = '/') => openIn(platform!.browser, adminUrl + path, { viewport: { width: 1360, height: 900 }, acceptDownloads: true });

const shot = (page: Page, name: string) => screenshotTo(SHOTS, page, name);

async function auditRows(action: string): Promise<RowDataPacket[]> {
  const [rows] = await db.pool.query<RowDataPacket[]>('SELECT admin_username, target_id, reason FROM admin_audit WHERE action = ? ORDER BY id', [action]);
  return rows;
}

describe('the staff console', () => {
  it('answers the log-in page at / instead of a JSON 401, and logs in with a password', async () => {
    const { page, scriptErrors } = await openPage('/');
    await page.getByRole('heading', { name: 'Log in' }).waitFor();
    await shot(page, '01-login');
    await page.getByLabel('Username').fill('mona');
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('alert').filter({ hasText: 'wrong username, password or code' }).waitFor();
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByTestId('signed-in-as').filter({ hasText: 'mona' }).waitFor();
    // A moderator lands on their first page; the navigation offers only their pages.
    const nav = page.getByRole('navigation', { name: 'Console' });
    await nav.getByRole('link', { name: 'Complaints' }).waitFor();
    expect(await nav.getByRole('link', { name: 'SQL workbench' }).count()).toBe(0);
    // The session is a cookie no script can read.
    const cookies = await page.context().cookies();
    expect(cookies.find((cookie) => cookie.name === 'sl_staff')).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    expect(cookies.find((cookie) => cookie.name === 'sl_csrf')).toMatchObject({ httpOnly: false });
    await page.reload();
    await page.getByTestId('signed-in-as').filter({ hasText: 'mona' }).waitFor();
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('heading', { name: 'Log in' }).waitFor();
    expect(scriptErrors).toEqual([]);
    expect((await auditRows('admin_user.login')).map((row) => row.admin_username)).toContain('mona');
  });

  it('asks an account with TOTP for its code after the password', async () => {
    const { page, scriptErrors } = await openPage('/');
    await page.getByLabel('Username').fill('tess');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByLabel('Authenticator code').waitFor();
    await page.getByRole('alert').filter({ hasText: 'Enter the 6-digit code' }).waitFor();
    await shot(page, '02-login-totp');
    await page.getByLabel('Authenticator code').fill(totpCode(totpSecret));
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByTestId('signed-in-as').filter({ hasText: 'tess' }).waitFor();
    await page.getByRole('heading', { name: 'Pipeline' }).waitFor();
    expect(scriptErrors).toEqual([]);
  });

  it('removes a listing with a reason, and the removal shows in the audit trail', async () => {
    const id = await writer!.add('Counterfeit designer handbag');
    const { page, scriptErrors } = await openPage('/listings');
    await logInStaff(page, 'mona', PASSWORD);
    await page.getByRole('searchbox').fill('designer handbag');
    await page.getByRole('button', { name: 'Search' }).click();
    const row = page.getByRole('row').filter({ hasText: 'Counterfeit designer handbag' });
    await row.waitFor();
    await shot(page, '03-listings');
    await row.getByRole('button', { name: 'Remove…' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Remove listing' }).click();
    await dialog.getByRole('alert').filter({ hasText: 'Say why' }).waitFor();
    await dialog.getByLabel('Reason').fill('Counterfeit goods (complaint by a brand owner)');
    await shot(page, '04-remove-dialog');
    await dialog.getByRole('button', { name: 'Remove listing' }).click();
    await page.getByRole('status').filter({ hasText: `Listing #${id} removed.` }).waitFor();
    await row.getByText('removed').waitFor();
    await page.getByRole('link', { name: 'See it in the audit trail' }).click();
    const auditRow = page.getByRole('row').filter({ hasText: 'listing.remove' });
    await auditRow.filter({ hasText: 'Counterfeit goods (complaint by a brand owner)' }).filter({ hasText: 'mona' }).waitFor();
    await shot(page, '05-audit');
    const [[listing]] = await db.pool.query<RowDataPacket[]>('SELECT status FROM listings WHERE id = ?', [id]);
    expect(listing!.status).toBe('removed');
    expect(await auditRows('listing.remove')).toEqual([expect.objectContaining({ admin_username: 'mona', target_id: String(id), reason: 'Counterfeit goods (complaint by a brand owner)' })]);
    expect(scriptErrors).toEqual([]);
  });

  it('resolves a complaint from the queue', async () => {
    const listingId = await writer!.add('Suspiciously cheap laptop');
    const { user: reporter } = await signUp(db.pool, { email: `reporter.${Date.now()}@example.com`, password: 'password-long-enough', name: 'Rita Reporter', country: 'DE', city: 'Köln' });
    const complaintId = await fileComplaint(db.pool, { reporterId: reporter.id, listingId, reason: 'fraud', details: 'Asked me to pay outside the site.' });
    const { page, scriptErrors } = await openPage('/complaints');
    await logInStaff(page, 'mona', PASSWORD);
    const row = page.getByRole('row').filter({ hasText: `#${complaintId}` });
    await row.filter({ hasText: 'Asked me to pay outside the site.' }).waitFor();
    await shot(page, '06-complaints');
    await row.getByRole('button', { name: 'Resolve…' }).click();
    await page.getByRole('dialog').getByLabel('Reason').fill('Listing removed, seller warned');
    await page.getByRole('dialog').getByRole('button', { name: 'Resolve' }).click();
    await page.getByRole('status').filter({ hasText: `Complaint #${complaintId} resolved.` }).waitFor();
    await row.waitFor({ state: 'detached' });
    const [[complaint]] = await db.pool.query<RowDataPacket[]>('SELECT status FROM complaints WHERE id = ?', [complaintId]);
    expect(complaint!.status).toBe('resolved');
    expect((await auditRows('complaint.resolve')).at(-1)).toMatchObject({ admin_username: 'mona', reason: 'Listing removed, seller warned' });
    expect(scriptErrors).toEqual([]);
  });

  it('replays a dead letter once its cause is fixed', async () => {
    const search = httpClient(webUrl);
    const file = readdirSync(join(dir.path, 'search')).find((name) => name.endsWith('.sqlite'))!;
    const index = new Database(join(dir.path, 'search', file));
    let id: number;
    try {
      index.exec("CREATE TRIGGER maintenance BEFORE INSERT ON docs BEGIN SELECT RAISE(ABORT, 'search index closed for maintenance'); END;");
      id = await writer!.add('Penny-farthing restored');
      const admin = httpClient(adminUrl);
      const { body: { token } } = await admin('POST', '/admin/session', { body: { username: 'otto', password: PASSWORD } });
      const status = await until(() => admin('GET', '/admin/pipeline', { token }), (r) => r.body.dead_letters.some((d: { group: string; count: number }) => d.group === 'search-indexer' && d.count > 0), 30_000);
      expect(status.body.dead_letters).toContainEqual(expect.objectContaining({ group: 'search-indexer', count: 1 }));
    } finally {
      index.exec('DROP TRIGGER IF EXISTS maintenance');
      index.close();
    }
    const { page, scriptErrors } = await openPage('/pipeline');
    await logInStaff(page, 'otto', PASSWORD);
    const group = page.getByRole('row').filter({ hasText: 'search-indexer' });
    await group.getByRole('link', { name: 'Dead letters →' }).waitFor();
    await shot(page, '07-pipeline');
    await group.getByRole('link', { name: 'Dead letters →' }).click();
    await page.getByRole('row').filter({ hasText: 'search index closed for maintenance' }).filter({ hasText: `{"id":${id}}` }).waitFor();
    await shot(page, '08-dead-letters');
    await page.getByRole('button', { name: 'Replay all…' }).click();
    await page.getByRole('dialog').getByLabel('Reason (optional)').fill('maintenance over');
    await page.getByRole('dialog').getByRole('button', { name: 'Replay' }).click();
    await page.getByRole('status').filter({ hasText: 'Replayed 1 dead letter to search-indexer.' }).waitFor();
    const found = await until(() => search('GET', '/v1/search?q=farthing'), (r) => r.body?.total === 1, 30_000);
    expect(found.body.total).toBe(1);
    expect((await auditRows('consumer_group.replay_dead_letters')).at(-1)).toMatchObject({ admin_username: 'otto', reason: 'maintenance over' });
    expect(scriptErrors).toEqual([]);
  });

  it('runs a SQL query, shows the rows, downloads them as CSV and keeps the query in the history', async () => {
    const id = await writer!.add('Tandem bicycle for the warehouse');
    const admin = httpClient(adminUrl);
    const { body: { token } } = await admin('POST', '/admin/session', { body: { username: 'anna', password: PASSWORD } });
    const sql = `SELECT id, name FROM raw.listings FINAL WHERE id = ${id}`;
    await until(() => admin('POST', '/warehouse/query', { token, body: { sql } }), (r) => typeof r.body === 'object' && r.body?.id === String(id), 60_000);

    const { page, scriptErrors } = await openPage('/workbench');
    await logInStaff(page, 'anna', PASSWORD);
    const editor = page.getByLabel('SQL');
    await editor.fill(sql);
    await page.getByRole('button', { name: 'Run query' }).click();
    await page.getByRole('row').filter({ hasText: 'Tandem bicycle for the warehouse' }).waitFor();
    await page.getByRole('status').filter({ hasText: '1 row in' }).waitFor();
    const downloaded = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Download CSV' }).click();
    const download = await downloaded;
    expect(download.suggestedFilename()).toBe('query.csv');
    expect(readFileSync((await download.path())!, 'utf8')).toBe(`"id","name"\n${id},"Tandem bicycle for the warehouse"\n`);
    await page.getByRole('cell', { name: sql }).first().waitFor();
    await shot(page, '09-workbench');
    expect(scriptErrors).toEqual([]);
  });

  it('is refused by the API, not only by the navigation, when a role oversteps', async () => {
    const id = await writer!.add('Vintage road bike');
    const { page } = await openPage('/');
    await logInStaff(page, 'anna', PASSWORD);
    // The analyst's own cookie session, with its CSRF token, asks to remove a listing anyway.
    const csrf = (await page.context().cookies()).find((cookie) => cookie.name === 'sl_csrf')!.value;
    const answer = await page.evaluate(async ({ listing, csrf }) => {
      const response = await fetch(`/admin/listings/${listing}/remove`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': csrf }, body: JSON.stringify({ reason: 'just because' }) });
      return { status: response.status, body: await response.json() as { error: string } };
    }, { listing: id, csrf });
    expect(answer).toEqual({ status: 403, body: expect.objectContaining({ error: 'forbidden' }) });
    // Without the CSRF header the cookie alone changes nothing either (what a forged form would send).
    const forged = await page.evaluate(async (listing) => (await fetch(`/admin/listings/${listing}/remove`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"reason":"x"}' })).status, id);
    expect(forged).toBe(403);
    const [[listing]] = await db.pool.query<RowDataPacket[]>('SELECT status FROM listings WHERE id = ?', [id]);
    expect(listing!.status).toBe('active');
  });

  it('runs a scheduled job now, with a reason, and shows how it went', async () => {
    const { page, scriptErrors } = await openPage('/jobs');
    await logInStaff(page, 'otto', PASSWORD);
    const job = page.getByRole('row').filter({ hasText: 'sessions.purge-expired' });
    await job.getByRole('button', { name: 'Run now…' }).click();
    await page.getByRole('dialog').getByLabel('Reason').fill('clearing sessions after the key rotation');
    await page.getByRole('dialog').getByRole('button', { name: 'Run now' }).click();
    await page.getByRole('status').filter({ hasText: 'sessions.purge-expired succeeded' }).waitFor();
    await page.getByRole('row').filter({ hasText: 'sessions.purge-expired' }).filter({ hasText: 'manual' }).waitFor();
    expect((await auditRows('job.run')).at(-1)).toMatchObject({ admin_username: 'otto', reason: 'clearing sessions after the key rotation' });
    expect(scriptErrors).toEqual([]);
  });

  it('shows support a user\'s webhook endpoint and replays a dead delivery', async () => {
    const seller = await writer!.seller();
    const { endpoint } = await createEndpoint(db.pool, seller, { url: 'https://hooks.example.com/steveslist', description: 'Order sync' });
    await db.pool.query(
      "INSERT INTO webhook_deliveries (endpoint_id, event_id, event_type, payload, status, attempts, last_error) VALUES (?, UUID(), 'order.placed', '{}', 'dead', 8, 'connect ECONNREFUSED')",
      [endpoint.id],
    );
    const { page, scriptErrors } = await openPage(`/users/${seller}`);
    await logInStaff(page, 'sue', PASSWORD);
    await page.getByRole('link', { name: 'https://hooks.example.com/steveslist' }).click();
    const row = page.getByRole('row').filter({ hasText: 'order.placed' });
    await row.filter({ hasText: 'connect ECONNREFUSED' }).waitFor();
    await shot(page, '17-webhook');
    await row.getByRole('button', { name: 'Replay…' }).click();
    await page.getByRole('dialog').getByLabel('Reason').fill('the customer fixed their server');
    await page.getByRole('dialog').getByRole('button', { name: 'Replay' }).click();
    await page.getByRole('status').filter({ hasText: 'is queued again' }).waitFor();
    expect((await auditRows('user.webhook_replay')).at(-1)).toMatchObject({ admin_username: 'sue', target_id: String(seller), reason: 'the customer fixed their server' });
    expect(scriptErrors).toEqual([]);
  });

  it('shows an admin every page as tables, without script errors', async () => {
    const { page, scriptErrors } = await openPage('/');
    await logInStaff(page, 'adam', PASSWORD);
    const pages: [string, string, string][] = [
      ['/users?q=Console', 'Users', '10-users'], ['/emails', 'Email queue', '12-emails'], ['/jobs', 'Scheduled jobs', '13-jobs'],
      ['/accounts', 'Staff accounts', '14-accounts'], ['/audit', 'Audit trail', '15-audit-all'], ['/refunds', 'Refunds', '16-refunds'],
      ['/backups', 'Backups', '18-backups'], ['/complaints?status=', 'Complaints', '19-complaints-all'],
    ];
    for (const [path, heading, name] of pages) {
      await page.goto(adminUrl + path);
      await page.getByRole('heading', { name: heading, exact: true }).waitFor();
      await page.locator('.loading').first().waitFor({ state: 'detached' });
      expect(await page.getByRole('alert').count(), path).toBe(0);
      await shot(page, name);
    }
    const seller = await writer!.seller();
    const [[buyer]] = await db.pool.query<RowDataPacket[]>("SELECT id FROM users WHERE name = 'Rita Reporter'");
    await db.pool.query('INSERT INTO messages (sender_id, recipient_id, body) VALUES (?, ?, ?)', [buyer!.id, seller, 'Can you ship it to Köln?']);
    await page.goto(`${adminUrl}/users/${seller}`);
    await page.getByRole('heading', { name: 'Webhook endpoints' }).waitFor();
    await page.getByText('Console Seller').first().waitFor();
    await page.getByRole('button', { name: 'Show messages' }).click();
    await page.getByRole('row').filter({ hasText: 'Can you ship it to Köln?' }).filter({ hasText: 'Rita Reporter' }).waitFor();
    await shot(page, '11-user');
    expect(scriptErrors).toEqual([]);
  });

  it('fits a 390-px phone: the navigation above the page, every page as wide as the screen, wide tables scrolling in their card', async () => {
    const seller = await writer!.seller();
    const { page, scriptErrors } = await openIn(platform!.browser, `${adminUrl}/users/${seller}`, { viewport: { width: 390, height: 844 } });
    await logInStaff(page, 'adam', PASSWORD);
    for (const path of [`/users/${seller}`, '/users?q=Console', '/pipeline', '/workbench', '/audit']) {
      await page.goto(adminUrl + path);
      await page.locator('main h1').first().waitFor();
      await page.locator('.loading').first().waitFor({ state: 'detached' });
      expect(await page.evaluate<number>('document.documentElement.scrollWidth'), path).toBeLessThanOrEqual(390);
    }
    await page.goto(`${adminUrl}/users/${seller}`);
    await page.getByRole('heading', { name: 'Webhook endpoints' }).waitFor();
    // The links sit above the page, not in a column beside it.
    const nav = await page.getByRole('navigation', { name: 'Console' }).boundingBox();
    const heading = await page.locator('main h1').first().boundingBox();
    expect(nav!.y + nav!.height).toBeLessThanOrEqual(heading!.y);
    expect(heading!.width).toBeGreaterThan(300);
    await shot(page, '20-user-phone');
    expect(scriptErrors).toEqual([]);
  });
});
