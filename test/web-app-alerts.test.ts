// Saved-search alerts end to end, in a real browser against the real platform: a buyer saves a
// search with "Alert me", a seller lists a matching TV from another account, and the alert email
// lands in the local mailbox with the listing's link and a working one-click unsubscribe link.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { simpleParser, type ParsedMail } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Steveslist } from '../client/index.js';
import { until } from './fixtures/eventually.js';
import { PASSWORD, PHONE, startWebApp, type WebApp } from './fixtures/web-app.js';

let web: WebApp;

beforeAll(async () => {
  web = await startWebApp();
}, 180_000);

afterAll(async () => {
  await web?.stop();
});

/** The mailbox's messages to `to`, parsed. */
async function mailTo(to: string): Promise<ParsedMail[]> {
  const dir = join(web.dataDir, 'mailbox');
  const files = await readdir(dir).catch(() => [] as string[]);
  const parsed = await Promise.all(files.filter((file) => file.endsWith('.eml')).map(async (file) => simpleParser(await readFile(join(dir, file)))));
  return parsed.filter((mail) => mail.to && JSON.stringify(mail.to).includes(to));
}

describe('saved-search alerts in the web app', () => {
  it('emails the buyer a new matching listing with its link, and unsubscribes in one click', async () => {
    const buyer = await web.openPage('/');
    const buyerEmail = await web.signUp(buyer.page, 'Alice Alert');
    await buyer.page.goto(`${web.baseUrl}/?q=tv&city=San%20Francisco`);
    await buyer.page.getByTestId('search-status').waitFor();
    await buyer.page.getByRole('button', { name: 'Alert me' }).click();
    await buyer.page.getByText('Alert saved: we will email you new matches.').waitFor();
    await web.screenshot(buyer.page, 'alert-saved');

    const sellerEmail = `sam.seller.${Date.now()}@example.com`;
    const { session } = await new Steveslist({ baseUrl: web.baseUrl }).accounts.signUp({ name: 'Sam Seller', email: sellerEmail, password: PASSWORD, city: 'San Francisco', country: 'US' });
    const seller = new Steveslist({ baseUrl: web.baseUrl, token: session.token });
    const elsewhere = await seller.listings.create({ name: 'Sony TV 40"', description: 'Works.', category: 'electronics', country: 'US', city: 'Oakland', price_amount: 9_000, price_currency: 'usd' });
    const listing = await seller.listings.create({ name: 'Samsung TV 55"', description: 'Found in a garage.', category: 'electronics', country: 'US', city: 'San Francisco', price_amount: 20_000, price_currency: 'usd' });

    const mails = await until(() => mailTo(buyerEmail), (found) => found.some((mail) => mail.subject?.includes('matches your search')), 60_000);
    const alert = mails.find((mail) => mail.subject?.includes('matches your search'));
    expect(alert?.subject).toBe('A new listing matches your search "tv" near San Francisco');
    expect(alert!.text).toContain(`${web.baseUrl}/listings/${listing.id}`);
    expect(alert!.text).toContain('Samsung TV 55"');
    expect(alert!.text).not.toContain(`/listings/${elsewhere.id}`);
    // The headers as sent (mailparser reshapes List-* headers into objects).
    const header = (name: string) => alert!.headerLines.find((line) => line.key === name)?.line.slice(name.length + 1).replace(/\r?\n[ \t]+/g, '').trim();
    const unsubscribe = /^<(http[^>]+)>$/.exec(header('list-unsubscribe') ?? '')?.[1];
    expect(unsubscribe).toMatch(new RegExp(`^${web.baseUrl}/alerts/unsubscribe\\?s=\\d+&sig=`));
    expect(header('list-unsubscribe-post')).toBe('List-Unsubscribe=One-Click');

    // The listing's link opens the listing.
    await buyer.page.goto(`${web.baseUrl}/listings/${listing.id}`);
    await buyer.page.getByRole('heading', { name: 'Samsung TV 55"' }).waitFor();

    // The alerts page counts the match; on a phone too.
    const phone = await web.openPage('/', { viewport: PHONE });
    await web.logIn(phone.page, buyerEmail);
    await phone.page.getByRole('link', { name: 'Alerts' }).click();
    const item = phone.page.getByTestId('alerts').getByRole('listitem').filter({ hasText: '"tv" near San Francisco' });
    await item.getByText('1 match so far').waitFor();
    await item.getByText('Emails on').waitFor();
    await web.screenshot(phone.page, 'alerts');

    // The email's unsubscribe link asks first, then stops the emails.
    await buyer.page.goto(unsubscribe!);
    await buyer.page.getByRole('heading', { name: 'Stop these alerts?' }).waitFor();
    await buyer.page.getByRole('button', { name: 'Unsubscribe' }).click();
    await buyer.page.getByRole('heading', { name: 'Unsubscribed' }).waitFor();
    await phone.page.reload();
    await phone.page.getByTestId('alerts').getByRole('listitem').filter({ hasText: '"tv" near San Francisco' }).getByText('Paused').waitFor();

    // Deleting the alert empties the page.
    await phone.page.getByRole('button', { name: 'Delete the alert for "tv" near San Francisco' }).click();
    await phone.page.getByTestId('no-alerts').waitFor();
  }, 180_000);

  it('alerts on a search near a city only for listings within its radius, and lists the distance', async () => {
    const buyer = await web.openPage('/');
    const buyerEmail = await web.signUp(buyer.page, 'Nina Near');
    await buyer.page.goto(`${web.baseUrl}/?q=kayak&near=Boston%2CUS&within=25`);
    await buyer.page.getByTestId('search-status').waitFor();
    await buyer.page.getByRole('button', { name: 'Alert me' }).click();
    await buyer.page.getByText('Alert saved: we will email you new matches.').waitFor();

    const { session } = await new Steveslist({ baseUrl: web.baseUrl }).accounts.signUp({ name: 'Kim Kayak', email: `kim.kayak.${Date.now()}@example.com`, password: PASSWORD, city: 'Boston', country: 'US' });
    const seller = new Steveslist({ baseUrl: web.baseUrl, token: session.token });
    // Worcester is some 60 km from Boston, Cambridge some 5.
    const far = await seller.listings.create({ name: 'Sea kayak', description: 'Two paddles.', category: 'sports', country: 'US', city: 'Worcester', price_amount: 30_000, price_currency: 'usd' });
    const near = await seller.listings.create({ name: 'River kayak', description: 'One paddle.', category: 'sports', country: 'US', city: 'Cambridge', price_amount: 25_000, price_currency: 'usd' });

    const mails = await until(() => mailTo(buyerEmail), (found) => found.some((mail) => mail.subject?.includes('matches your search')), 60_000);
    const alert = mails.find((mail) => mail.subject?.includes('matches your search'))!;
    expect(alert.subject).toBe('A new listing matches your search "kayak" within 25 km of Boston, US');
    expect(alert.text).toContain(`/listings/${near.id}`);
    expect(alert.text).not.toContain(`/listings/${far.id}`);

    await buyer.page.goto(`${web.baseUrl}/alerts`);
    const item = buyer.page.getByTestId('alerts').getByRole('listitem').filter({ hasText: '"kayak" within 25 km of Boston, US' });
    await item.getByText('1 match so far').waitFor();
    expect(await item.getByRole('link').first().getAttribute('href')).toMatch(/near=Boston%2CUS.*within=25|within=25.*near=Boston%2CUS/);
    await web.screenshot(buyer.page, 'alerts-near');
  }, 180_000);
});
