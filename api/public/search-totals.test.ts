// Totals past the search engine's counting limit, as the API, its OpenAPI document and the web app
// say them: "at least 10,000" (total_relation "gte"), shown as "10,000+ listings", never as exact.
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/log.js';
import { EmbeddedSearch } from '../../pipelines/sinks/search/embedded/index.js';
import { TOTAL_HITS_EXACT_UP_TO } from '../../pipelines/sinks/search/port.js';
import { createTestDatabase, type TestDatabase } from '../../test/fixtures/database.js';
import { httpClient } from '../../test/fixtures/http-client.js';
import { listingDocument, upsertAll } from '../../test/fixtures/search-adapters.js';
import { tempDir } from '../../test/fixtures/temp-dir.js';
import { buildOnce } from '../../test/fixtures/web-app.js';
import { buildPublicServer } from './server.js';

const dir = tempDir();
let db: TestDatabase;
let search: EmbeddedSearch;
let app: FastifyInstance;
let baseUrl: string;
let call: ReturnType<typeof httpClient>;
let browser: Browser;

const LAMPS = TOTAL_HITS_EXACT_UP_TO + 50;
const KAYAKS = 5;

beforeAll(async () => {
  await buildOnce();
  db = await createTestDatabase();
  search = new EmbeddedSearch(join(dir.path, 'search'));
  await search.ensureIndex();
  await upsertAll(search, [
    ...Array.from({ length: LAMPS }, (_, i) => listingDocument({ id: i + 1, name: `Desk lamp no. ${i}` })),
    ...Array.from({ length: KAYAKS }, (_, i) => listingDocument({ id: 20_000 + i, name: `Sea kayak no. ${i}`, category: 'sports' })),
  ]);
  app = await buildPublicServer({ pool: db.pool, log: silentLogger(), search, rateLimit: { perMinute: 100_000, authPerMinute: 100_000 } });
  baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });
  call = httpClient(baseUrl);
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await app?.close();
  await search?.close();
  await db?.close();
  dir.remove();
});

describe('search totals past the counting limit', () => {
  it('the API says whether total is exact', async () => {
    expect((await call('GET', '/v1/search?q=lamp')).body).toMatchObject({ total: TOTAL_HITS_EXACT_UP_TO, total_relation: 'gte' });
    expect((await call('GET', '/v1/search?q=kayak')).body).toMatchObject({ total: KAYAKS, total_relation: 'eq' });
  });

  it('the OpenAPI document describes total_relation', async () => {
    const doc = (await call('GET', '/v1/openapi.json')).body;
    const schema = doc.paths['/v1/search'].get.responses['200'].content['application/json'].schema;
    expect(schema.properties.total_relation).toMatchObject({ type: 'string', enum: ['eq', 'gte'] });
    expect(schema.properties.total_relation.description).toContain('at least');
  });

  it('the web app shows "10,000+ listings" past the limit and the exact count below it', async () => {
    const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 800 } });
    try {
      const page = await context.newPage();
      const scriptErrors: string[] = [];
      page.on('pageerror', (error) => scriptErrors.push(error.message));
      await page.goto(`${baseUrl}/?q=lamp`);
      await page.getByTestId('search-status').filter({ hasText: '10,000+ listings for “lamp”' }).waitFor({ timeout: 30_000 });
      if (process.env.WEB_SCREENSHOTS) await page.screenshot({ path: join(process.env.WEB_SCREENSHOTS, 'search-10000-plus.png') });
      await page.goto(`${baseUrl}/?q=kayak`);
      await page.getByTestId('search-status').filter({ hasText: '5 listings for “kayak”' }).waitFor({ timeout: 30_000 });
      expect(scriptErrors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
