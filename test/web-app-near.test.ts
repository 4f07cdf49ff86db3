// "Within N km of <city>" in a real browser against the real platform: the city chosen from the
// suggestions, the search in the address, each result with its distance, and an unknown city
// said beside its box.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Steveslist } from '../client/index.js';
import { PASSWORD, PHONE, startWebApp, type WebApp } from './fixtures/web-app.js';

let web: WebApp;
let sellerEmail: string;
let lostId: number;

beforeAll(async () => {
  web = await startWebApp();
  const seller = new Steveslist({ baseUrl: web.baseUrl });
  sellerEmail = `kim.${Date.now()}@example.com`;
  const { session } = await seller.accounts.signUp({ name: 'Kim Kayaker', email: sellerEmail, password: PASSWORD });
  const listings = seller.withToken(session.token).listings;
  for (const [city, name] of [['Boston', 'Kayak by the harbour'], ['Cambridge', 'Kayak by the river'], ['Providence', 'Kayak in Rhode Island'], ['Seattle', 'Kayak on the Sound']] as const) {
    await listings.create({ name, description: 'Sit-on-top, with paddle.', category: 'sports', country: 'US', city, price_amount: 40_000, price_currency: 'usd' });
  }
  lostId = (await listings.create({ name: 'Canoe', description: 'Wooden.', category: 'sports', country: 'US', city: 'Nowhereville Springs', price_amount: 50_000, price_currency: 'usd' })).id;
  // Change capture brings them to search within seconds.
  for (const deadline = Date.now() + 30_000; (await seller.search({ q: 'kayak' })).total < 4;) {
    if (Date.now() > deadline) throw new Error('the kayaks never became searchable');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}, 240_000);

afterAll(async () => {
  await web?.stop();
}, 150_000);

const results = (page: Page) => page.getByTestId('search-results').getByRole('listitem');

describe('searching near a city in the web app', { timeout: 150_000 }, () => {
  it('offers the city as you type, keeps the search in the address and shows how far each listing is', async () => {
    const { page, scriptErrors } = await web.openPage('/?q=kayak');
    await results(page).first().waitFor();
    await page.getByLabel('Within').fill('100');
    await page.getByLabel('km of').pressSequentially('Bost', { delay: 40 });
    const boston = page.getByRole('option').getByRole('button', { name: 'Boston, MA, US' });
    await boston.waitFor();
    await web.screenshot(page, 'search-near-suggestions');
    await boston.click();

    await page.getByTestId('search-status').filter({ hasText: 'within 100 km of Boston, US' }).waitFor();
    expect(new URL(page.url()).search).toBe('?q=kayak&near=Boston%2CUS&within=100');
    await page.getByLabel('Sort').selectOption({ label: 'Nearest first' });
    await page.waitForURL(/sort=distance$/);
    await expect.poll(() => results(page).allInnerTexts()).toHaveLength(3);
    const shown = await results(page).allInnerTexts();
    expect(shown[0]).toContain('Kayak by the harbour');
    expect(shown[0]).toContain('under 1 km away');
    expect(shown[1]).toContain('Kayak by the river');
    expect(shown[1]).toContain('4 km away');
    expect(shown[2]).toContain('Kayak in Rhode Island');
    expect(shown[2]).toContain('66 km away');
    await web.screenshot(page, 'search-near');

    // The address alone brings the same search back, nearest first, Seattle too without the radius.
    await page.goto(`${web.baseUrl}/?q=kayak&near=Boston%2CUS&sort=distance`);
    await page.getByTestId('search-status').filter({ hasText: 'near Boston, US' }).waitFor();
    await expect.poll(async () => (await results(page).allInnerTexts()).at(-1)).toMatch(/Kayak on the Sound[\s\S]*4,0\d\d km away/);
    expect(await page.getByLabel('km of').inputValue()).toBe('Boston,US');
    expect(scriptErrors).toEqual([]);
  });

  it('fits the distance search on a phone', async () => {
    const { page, scriptErrors } = await web.openPage('/?q=kayak&near=Boston%2CUS&within=100&sort=distance', { viewport: PHONE });
    await page.getByTestId('search-status').filter({ hasText: 'within 100 km of Boston, US' }).waitFor();
    // A search with filters opens with them shown, on a phone too.
    await page.getByLabel('km of').waitFor();
    expect(await page.getByTestId('hit-distance').allInnerTexts()).toEqual(['under 1 km away', '4 km away', '66 km away']);
    const box = (await page.getByLabel('km of').boundingBox())!;
    expect(box.x + box.width).toBeLessThanOrEqual(PHONE.width);
    await web.screenshot(page, 'search-near-phone');
    expect(scriptErrors).toEqual([]);
  });

  it('tells a seller whose city it does not know that distance searches will not find the listing, and no one else', async () => {
    const { page, scriptErrors } = await web.openPage('/');
    await page.goto(`${web.baseUrl}/listings/${lostId}`);
    await page.getByRole('heading', { name: 'Canoe' }).waitFor();
    expect(await page.getByTestId('location-unknown').count()).toBe(0);
    await web.logIn(page, sellerEmail);
    await page.goto(`${web.baseUrl}/listings/${lostId}`);
    await page.getByTestId('location-unknown').filter({ hasText: 'We do not know this city, so searches near a city will not find this listing' }).waitFor();
    await web.screenshot(page, 'listing-city-unknown');
    expect(scriptErrors).toEqual([]);
  });

  it('says beside the box when it does not know the city', async () => {
    const { page, scriptErrors } = await web.openPage('/?q=kayak');
    await results(page).first().waitFor();
    const near = page.getByLabel('km of');
    await near.fill('Nowhereville Springs,US');
    await near.press('Enter');
    const error = page.locator('#search-near-error');
    await error.filter({ hasText: 'We do not know the city “Nowhereville Springs,US”. Type the start of its name and choose it from the list.' }).waitFor();
    expect(await near.getAttribute('aria-invalid')).toBe('true');
    await web.screenshot(page, 'search-near-unknown');
    expect(scriptErrors).toEqual([]);
  });
});
