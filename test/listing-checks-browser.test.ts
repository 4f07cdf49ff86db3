// The listing checks as people meet them, in a real Chromium against the real platform
// (`steveslist up`): a seller sees a held listing "Under review" on My listings; a moderator finds
// it on the console's Held listings page with the rule's reason, clears it with a reason, and it is
// found by search again. Screenshots go to CHECKS_SHOTS when it is set, for a person to look at.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { simpleParser, type ParsedMail } from 'mailparser';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addAdminUser } from '../marketplace/auth/admin-accounts.js';
import { signUp } from '../marketplace/auth/user-accounts.js';
import { createListing } from '../marketplace/domain/listings.js';
import type { RowDataPacket } from '../marketplace/mysql/connection.js';
import { createTestDatabase, type TestDatabase } from './fixtures/database.js';
import { until } from './fixtures/eventually.js';
import { httpClient } from './fixtures/http-client.js';
import { buildConsoleWhenChanged, logInStaff, openPage as openIn, screenshotTo, startPlatformWithBrowser, type RunningPlatform } from './fixtures/staff-console.js';
import { tempDir } from './fixtures/temp-dir.js';
import { buildOnce } from './fixtures/web-app.js';

const PASSWORD = 'correct horse battery staple';
const SHOTS = process.env.CHECKS_SHOTS;

const dir = tempDir();
let db: TestDatabase;
let platform: RunningPlatform | undefined;
let webUrl: string;
let adminUrl: string;

beforeAll(async () => {
  await buildOnce();
  await buildConsoleWhenChanged();
  db = await createTestDatabase('checksweb');
  platform = await startPlatformWithBrowser(db.url, dir.path, { DASHBOARD_REBUILD_MINUTES: '0' });
  ({ webUrl, adminUrl } = platform);
  await addAdminUser(db.pool, 'mona', PASSWORD, { role: 'moderator' });
}, 180_000);

afterAll(async () => {
  await platform?.stop();
  await db?.close();
  dir.remove();
});

const open = (base: string, path: string) => openIn(platform!.browser, base + path, { viewport: { width: 1280, height: 800 } });

const shot = (page: Page, name: string) => screenshotTo(SHOTS, page, name);

const status = async (id: number) => {
  const [[row]] = await db.pool.query<RowDataPacket[]>('SELECT status FROM listings WHERE id = ?', [id]);
  return row?.status as string;
};
/** The local mailbox's messages to `to`, parsed. */
async function mailTo(to: string): Promise<ParsedMail[]> {
  const mailbox = join(dir.path, 'mailbox');
  const files = await readdir(mailbox).catch(() => [] as string[]);
  const parsed = await Promise.all(files.filter((file) => file.endsWith('.eml')).map(async (file) => simpleParser(await readFile(join(mailbox, file)))));
  return parsed.filter((mail) => mail.to && JSON.stringify(mail.to).includes(to));
}
const subjects = async (to: string) => (await mailTo(to)).map((mail) => mail.subject ?? '');

const found = async (q: string) => {
  const response = await httpClient(webUrl)('GET', `/v1/search?q=${encodeURIComponent(q)}`);
  return (response.body.hits as { id: number }[]).map((hit) => hit.id);
};

describe('a held listing, seen by its seller and cleared by a moderator', () => {
  it('reads "Under review" for the seller, and comes back into search once a moderator clears it', async () => {
    const email = `held.seller.${Date.now()}@example.com`;
    const { user } = await signUp(db.pool, { email, password: PASSWORD, name: 'Hedda Seller', country: 'DE', city: 'Berlin' });
    const id = await createListing(db.pool, {
      sellerId: user.id, name: 'Omega replica watch', description: 'Licensed homage, boxed.', category: 'electronics', country: 'DE', city: 'Berlin', priceAmount: 12_000, priceCurrency: 'eur',
    });
    expect(await until(() => status(id), (s) => s === 'pending_review', 30_000)).toBe('pending_review');
    expect(await until(() => found('omega'), (ids) => ids.length === 0, 15_000)).toEqual([]);
    // The seller is told by email why, instead of finding out from My listings.
    await until(() => subjects(email), (s) => s.includes('Your listing is under review: "Omega replica watch"'), 30_000);
    const [heldMail] = (await mailTo(email)).filter((mail) => mail.subject?.startsWith('Your listing is under review'));
    expect(heldMail!.text).toContain('not shown in search or for sale until a moderator has looked at it');
    expect(heldMail!.text).toContain('banned words: "replica"');

    const seller = await open(webUrl, '/login');
    await seller.page.getByLabel('Email').fill(email);
    await seller.page.getByLabel('Password').fill(PASSWORD);
    await seller.page.getByRole('button', { name: 'Log in' }).click();
    await seller.page.getByTestId('signed-in-as').waitFor();
    await seller.page.goto(`${webUrl}/me/listings`);
    const row = seller.page.getByTestId('my-listings').getByRole('row').filter({ hasText: 'Omega replica watch' });
    await row.getByText('Under review').waitFor();
    expect(await row.getByRole('link', { name: /^Edit/ }).count()).toBe(0);
    await shot(seller.page, 'checks-01-my-listings-under-review');
    expect(seller.scriptErrors).toEqual([]);

    const moderator = await open(adminUrl, '/held-listings');
    await logInStaff(moderator.page, 'mona', PASSWORD);
    await moderator.page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Held listings' }).click();
    const held = moderator.page.getByRole('row').filter({ hasText: 'Omega replica watch' });
    await held.filter({ hasText: 'banned words: "replica"' }).waitFor();
    await shot(moderator.page, 'checks-02-held-listings');
    await held.getByRole('button', { name: 'Clear…' }).click();
    const dialog = moderator.page.getByRole('dialog');
    await dialog.getByLabel('Reason').fill('A licensed homage, described as such');
    await shot(moderator.page, 'checks-03-clear-dialog');
    await dialog.getByRole('button', { name: 'Clear' }).click();
    await moderator.page.getByRole('status').filter({ hasText: `Listing #${id} cleared: it is back on sale.` }).waitFor();
    await moderator.page.getByText('Nothing waits for a decision.').waitFor();
    expect(moderator.scriptErrors).toEqual([]);

    expect(await status(id)).toBe('active');
    expect(await until(() => found('omega'), (ids) => ids.includes(id), 15_000)).toEqual([id]);
    await until(() => subjects(email), (s) => s.includes('Your listing is live again: "Omega replica watch"'), 30_000);
    const [audit] = await db.pool.query<RowDataPacket[]>("SELECT admin_username, reason FROM admin_audit WHERE action = 'listing.clear' AND target_id = ?", [id]);
    expect(audit).toEqual([expect.objectContaining({ admin_username: 'mona', reason: 'A licensed homage, described as such' })]);
  });

  it("shows a moderator the spam checks' findings on the user's page", async () => {
    const signedUp = await httpClient(webUrl)('POST', '/v1/users', { body: { email: `dropbox.${Date.now()}@mailinator.com`, password: PASSWORD, name: 'Tom Throwaway' } });
    expect(signedUp.status).toBe(201);
    const userId = signedUp.body.user.id as number;
    await until(async () => (await db.pool.query<RowDataPacket[]>('SELECT id FROM user_checks WHERE user_id = ?', [userId]))[0], (rows) => rows.length > 0, 30_000);
    const moderator = await open(adminUrl, `/users/${userId}`);
    await logInStaff(moderator.page, 'mona', PASSWORD);
    const finding = moderator.page.getByRole('row').filter({ hasText: 'disposable email' });
    await finding.filter({ hasText: 'a disposable-mail domain' }).filter({ hasText: 'sign-up' }).waitFor();
    await shot(moderator.page, 'checks-04-user-spam-checks');
    // A false positive: the moderator dismisses it with a reason, and the row says so.
    await finding.getByRole('button', { name: 'Dismiss…' }).click();
    const dialog = moderator.page.getByRole('dialog');
    await dialog.getByText('It is closed as a false positive, with your reason.').waitFor();
    await dialog.getByLabel('Reason').fill('A real person on a privacy-minded provider');
    await dialog.getByRole('button', { name: 'Dismiss' }).click();
    await moderator.page.getByRole('status').filter({ hasText: 'Finding dismissed.' }).waitFor();
    await moderator.page.getByRole('row').filter({ hasText: 'disposable email' }).filter({ hasText: 'dismissed by mona' }).waitFor();
    expect(await moderator.page.getByRole('row').filter({ hasText: 'disposable email' }).getByRole('button', { name: 'Dismiss…' }).count()).toBe(0);
    await shot(moderator.page, 'checks-05-user-spam-check-dismissed');
    expect(moderator.scriptErrors).toEqual([]);
  });
});
