// The marketplace in a real browser against the real platform: two people write to each other
// about a listing, one buys it through the confirmation step and both see the order, and a
// search is paged and narrowed by city and price with everything in the address. Each flow is
// also looked at on a 390-px phone (screenshots when WEB_SCREENSHOTS names a folder).
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Steveslist } from '../client/index.js';
import { PASSWORD, PHONE, startWebApp, type WebApp } from './fixtures/web-app.js';

let web: WebApp;

beforeAll(async () => {
  web = await startWebApp();
}, 180_000);

afterAll(async () => {
  await web?.stop();
}, 150_000);

async function seller(name: string): Promise<{ api: Steveslist; email: string; id: number }> {
  const email = `${name.toLowerCase().replace(/\W+/g, '.')}.${Date.now()}@example.com`;
  const { user, session } = await new Steveslist({ baseUrl: web.baseUrl }).accounts.signUp({ name, email, password: PASSWORD, city: 'Berlin', country: 'DE' });
  return { api: new Steveslist({ baseUrl: web.baseUrl, token: session.token }), email, id: user.id };
}

/** Fails on a page wider than the screen: nothing on a phone should need sideways scrolling. */
async function expectNoSidewaysScroll(page: Page): Promise<void> {
  const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');
  expect(overflow).toBeLessThanOrEqual(0);
}

describe('the marketplace web app', {
  // A browser flow with several people on a machine shared with other work: minutes, not seconds, under load.
  timeout: 150_000,
}, () => {
  it('lets a buyer ask about a listing and the seller answer, with unread counts on both sides', async () => {
    const sam = await seller('Sam Seller');
    const listing = await sam.api.listings.create({ name: 'Cargo bike', description: 'Box bike, two seats.', category: 'bikes', country: 'DE', city: 'Berlin', price_amount: 120_000, price_currency: 'eur' });

    const buyer = await web.openPage('/');
    await web.signUp(buyer.page, 'Bea Buyer');
    await buyer.page.goto(`${web.baseUrl}/listings/${listing.id}`);
    await buyer.page.getByRole('link', { name: 'Message the seller' }).click();
    await buyer.page.getByRole('heading', { name: 'Sam Seller' }).waitFor();
    await buyer.page.getByText('About Cargo bike').waitFor();
    await buyer.page.getByLabel('Write to Sam Seller').fill('Hello! Does it come with the rain cover?');
    await buyer.page.getByRole('button', { name: 'Send' }).click();
    await buyer.page.getByTestId('thread-messages').getByText('Hello! Does it come with the rain cover?').waitFor();

    // The seller, on a phone: the header counts the unread message, the inbox names who and what.
    const phone = await web.openPage('/', { viewport: PHONE });
    await web.logIn(phone.page, sam.email);
    await phone.page.getByTestId('unread-count').filter({ hasText: '1' }).waitFor();
    await phone.page.getByRole('link', { name: /^Messages/ }).click();
    const thread = phone.page.getByTestId('threads').getByRole('link').filter({ hasText: 'Bea Buyer' });
    await thread.waitFor();
    expect(await thread.textContent()).toContain('Cargo bike');
    expect(await thread.textContent()).toContain('Does it come with the rain cover?');
    await web.screenshot(phone.page, 'inbox');
    await expectNoSidewaysScroll(phone.page);
    await thread.click();
    await phone.page.getByTestId('thread-messages').getByText('Hello! Does it come with the rain cover?').waitFor();
    // Read once opened: the header's count goes away.
    await phone.page.getByTestId('unread-count').waitFor({ state: 'hidden' });
    await phone.page.getByLabel('Your reply').fill('Yes, and a child seat belt too.');
    await phone.page.getByRole('button', { name: 'Send' }).click();
    await phone.page.getByTestId('thread-messages').getByText('Yes, and a child seat belt too.').waitFor();
    await web.screenshot(phone.page, 'thread');
    await expectNoSidewaysScroll(phone.page);

    // The buyer sees the answer in the same thread, counted as unread until opened.
    await buyer.page.goto(`${web.baseUrl}/messages`);
    const answered = buyer.page.getByTestId('threads').getByRole('link').filter({ hasText: 'Sam Seller' });
    await answered.filter({ hasText: 'Yes, and a child seat belt too.' }).waitFor();
    expect(await answered.getByLabel('1 unread').count()).toBe(1);
    await web.screenshot(buyer.page, 'inbox');
    await answered.click();
    const messages = buyer.page.getByTestId('thread-messages').getByRole('listitem');
    await messages.nth(1).waitFor();
    expect(await messages.allTextContents()).toEqual([
      expect.stringContaining('Does it come with the rain cover?'),
      expect.stringContaining('Yes, and a child seat belt too.'),
    ]);
    await web.screenshot(buyer.page, 'thread');
    expect([...buyer.scriptErrors, ...phone.scriptErrors]).toEqual([]);
  });

  it('buys through a confirmation step, and shows the order to the buyer and the seller', async () => {
    const sol = await seller('Sol Seller');
    const listing = await sol.api.listings.create({ name: 'Teak desk', description: 'Two drawers.', category: 'furniture', country: 'DE', city: 'Berlin', price_amount: 24_550, price_currency: 'eur' });

    const buyer = await web.openPage('/');
    await web.signUp(buyer.page, 'Bo Buyer');
    await buyer.page.goto(`${web.baseUrl}/listings/${listing.id}`);
    await web.screenshot(buyer.page, 'listing');
    await buyer.page.getByRole('link', { name: 'Buy for €245.50' }).click();

    // Nothing is bought yet: the summary names the item, the seller and the price.
    await buyer.page.getByRole('heading', { name: 'Confirm your purchase' }).waitFor();
    const summary = buyer.page.getByTestId('checkout-summary');
    await summary.getByText('Sol Seller').waitFor();
    expect(await summary.textContent()).toContain('Teak desk');
    expect(await buyer.page.getByTestId('checkout-price').textContent()).toBe('€245.50');
    expect((await sol.api.listings.get(listing.id)).status).toBe('active');
    await web.screenshot(buyer.page, 'checkout');
    await buyer.page.getByRole('button', { name: 'Confirm purchase for €245.50' }).click();

    await buyer.page.getByRole('status').filter({ hasText: 'You bought it for €245.50. Sol Seller has been told.' }).waitFor();
    await buyer.page.getByRole('link', { name: 'Orders', exact: true }).click();
    const purchase = buyer.page.getByTestId('orders').getByRole('row').filter({ hasText: 'Teak desk' });
    await purchase.waitFor();
    expect(await purchase.textContent()).toContain('Sol Seller');
    expect(await purchase.textContent()).toContain('€245.50');
    expect(await purchase.textContent()).toContain('Placed');
    await web.screenshot(buyer.page, 'orders');

    // The seller, on a phone: the sale names its buyer in Sales and on the listing.
    const phone = await web.openPage('/', { viewport: PHONE });
    await web.logIn(phone.page, sol.email);
    await phone.page.goto(`${web.baseUrl}/orders`);
    await phone.page.getByRole('link', { name: 'Sales' }).click();
    const sale = phone.page.getByTestId('orders').getByRole('row').filter({ hasText: 'Teak desk' });
    await sale.waitFor();
    expect(await sale.textContent()).toContain('Bo Buyer');
    expect(await sale.textContent()).toContain('€245.50');
    await web.screenshot(phone.page, 'orders');
    await expectNoSidewaysScroll(phone.page);
    await phone.page.goto(`${web.baseUrl}/listings/${listing.id}`);
    await phone.page.getByTestId('sold-to').filter({ hasText: 'Sold to Bo Buyer for €245.50' }).waitFor();
    await web.screenshot(phone.page, 'listing');
    await expectNoSidewaysScroll(phone.page);

    // A second look on a phone: the confirmation page fits.
    const phoneBuyer = await web.openPage('/', { viewport: PHONE });
    await web.signUp(phoneBuyer.page, 'Pip Phone');
    const other = await sol.api.listings.create({ name: 'Reading lamp', description: 'Brass.', category: 'home-garden', country: 'DE', city: 'Berlin', price_amount: 3_000, price_currency: 'eur' });
    await phoneBuyer.page.goto(`${web.baseUrl}/listings/${other.id}/buy`);
    await phoneBuyer.page.getByRole('button', { name: 'Confirm purchase for €30.00' }).waitFor();
    await web.screenshot(phoneBuyer.page, 'checkout');
    await expectNoSidewaysScroll(phoneBuyer.page);
    expect([...buyer.scriptErrors, ...phone.scriptErrors, ...phoneBuyer.scriptErrors]).toEqual([]);
  });

  it('pages through results and narrows them by city and price, keeping the search in the address', async () => {
    const seller_ = await seller('Pat Plenty');
    // A word no sample listing has, so the counts below are exactly these listings'.
    const word = `zephyr${Date.now().toString(36)}`;
    for (let i = 0; i < 30; i++) {
      await seller_.api.listings.create({
        name: `${word} lamp ${i}`, description: 'Works.', category: i % 2 ? 'electronics' : 'home-garden', country: 'DE',
        city: i < 24 ? 'Leipzig' : 'Dresden', price_amount: (10 + i) * 100, price_currency: 'eur',
      });
    }
    const { page, scriptErrors } = await web.openPage(`/?q=${word}`);
    const status = page.getByTestId('search-status');
    // Change capture brings new listings to search within about a second; until then, search again.
    for (const deadline = Date.now() + 20_000; ;) {
      try {
        await status.filter({ hasText: `30 listings for “${word}”` }).waitFor({ timeout: 1_000 });
        break;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await page.getByRole('searchbox', { name: 'Search listings' }).press('Enter');
      }
    }
    const hits = page.getByTestId('search-results').getByRole('listitem');
    expect(await hits.count()).toBe(20);
    expect(await status.textContent()).toContain('page 1 of 2');

    // Facet counts name the choices; choosing a city narrows and starts again at page 1.
    const city = page.getByLabel('City');
    expect(await city.locator('option').allTextContents()).toEqual(['Any city', 'Leipzig (24)', 'Dresden (6)']);
    await city.selectOption('Leipzig');
    await status.filter({ hasText: '24 listings' }).waitFor();
    expect(page.url()).toBe(`${web.baseUrl}/?q=${word}&city=Leipzig`);
    // The other cities stay offered, to switch to.
    expect(await city.locator('option').allTextContents()).toContain('Dresden (6)');
    await web.screenshot(page, 'search');

    await page.getByRole('link', { name: 'Next →' }).click();
    await status.filter({ hasText: 'page 2 of 2' }).waitFor();
    expect(await hits.count()).toBe(4);
    expect(page.url()).toBe(`${web.baseUrl}/?q=${word}&city=Leipzig&page=2`);
    // A reload (or a shared link) shows the same page of the same search.
    await page.reload();
    await status.filter({ hasText: 'page 2 of 2' }).waitFor();
    expect(await page.getByLabel('City').inputValue()).toBe('Leipzig');
    // Back goes to page 1.
    await page.goBack();
    await status.filter({ hasText: 'page 1 of 2' }).waitFor();

    await page.getByLabel('Lowest price').fill('20');
    await page.getByLabel('Highest price').fill('25');
    await page.getByLabel('Highest price').press('Enter');
    await status.filter({ hasText: '6 listings' }).waitFor();
    expect(page.url()).toBe(`${web.baseUrl}/?q=${word}&city=Leipzig&min=20&max=25`);
    const prices = await page.getByTestId('search-results').locator('.price').allTextContents();
    expect(prices).toEqual(expect.arrayContaining(['€20.00', '€25.00']));
    expect(prices).toHaveLength(6);
    for (const place of await page.getByTestId('search-results').locator('.place').allTextContents()) expect(place).toMatch(/^Leipzig,/);

    // Sorting is part of the address too.
    await page.getByLabel('Sort').selectOption('price_desc');
    await page.getByTestId('search-results').locator('.price').first().filter({ hasText: '€25.00' }).waitFor();
    expect(page.url()).toContain('sort=price_desc');

    // A price the search cannot read is named beside the field.
    await page.getByLabel('Lowest price').fill('twenty');
    await page.getByLabel('Lowest price').press('Enter');
    await page.locator('#search-price-error').filter({ hasText: 'enter a number' }).waitFor();
    // Clearing the filters keeps the words.
    await page.getByRole('link', { name: 'Clear filters' }).click();
    await status.filter({ hasText: `30 listings for “${word}”` }).waitFor();
    expect(page.url()).toBe(`${web.baseUrl}/?q=${word}`);

    const phone = await web.openPage(`/?q=${word}&city=Leipzig`, { viewport: PHONE });
    await phone.page.getByTestId('search-status').filter({ hasText: '24 listings' }).waitFor();
    await web.screenshot(phone.page, 'search');
    await expectNoSidewaysScroll(phone.page);
    expect([...scriptErrors, ...phone.scriptErrors]).toEqual([]);
  });
});
