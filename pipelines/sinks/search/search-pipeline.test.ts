// Search end to end: MariaDB -> change capture -> bus -> indexer -> index -> GET /v1/search.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTopic, startTestReader, type TestReader } from '../../../test/fixtures/cdc.js';
import { eventually } from '../../../test/fixtures/eventually.js';
import { createTestDatabase, type TestDatabase } from '../../../test/fixtures/database.js';
import { tempDir } from '../../../test/fixtures/temp-dir.js';
import { buildPublicServer } from '../../../api/public/server.js';
import { silentLogger } from '../../../core/log.js';
import { createListing, removeListing, updateListing, type NewListing } from '../../../marketplace/domain/listings.js';
import { placeOrder } from '../../../marketplace/domain/orders.js';
import { createUser } from '../../../marketplace/domain/users.js';
import type { ConsumerRunner } from '../../consumers/runner.js';
import { ElasticsearchSearch } from './elasticsearch.js';
import { EmbeddedSearch } from './embedded/index.js';
import { startSearchIndexer } from './indexer.js';
import { versionOf } from '../../cdc/event-version.js';
import { reindex, verify } from './rebuild.js';
import type { SearchQuery, SearchService } from './port.js';

const dir = tempDir();
const engines: { name: string; open: () => Promise<SearchService> }[] = [{ name: 'embedded', open: async () => new EmbeddedSearch(join(dir.path, 'search')) }];
if (process.env.ELASTICSEARCH_URL) {
  const alias = `pipeline-${Date.now()}`;
  engines.push({ name: 'elasticsearch', open: () => ElasticsearchSearch.connect({ url: process.env.ELASTICSEARCH_URL!, alias }) });
}

describe.each(engines)('search fed by change capture: $name', (engine) => {
let db: TestDatabase;
let cdc: TestReader;
let search: SearchService;
let indexer: ConsumerRunner;
let sellerId: number;
let buyerId: number;

async function startIndexer(): Promise<void> {
  search = await engine.open();
  await search.ensureIndex();
  indexer = startSearchIndexer({ bus: cdc.bus, search, pool: db.pool, database: db.name, topicPrefix: 'sl', log: silentLogger() });
  await indexer.start();
}

beforeAll(async () => {
  db = await createTestDatabase('search');
  cdc = await startTestReader(db.url, join(dir.path, `cdc-${engine.name}`));
  await startIndexer();
  sellerId = (await createUser(db.pool, { email: 'seller@example.com', name: 'Søren Seller', passwordHash: 'x' })).id;
  buyerId = (await createUser(db.pool, { email: 'buyer@example.com', name: 'Bea Buyer', passwordHash: 'x' })).id;
});
afterAll(async () => {
  await indexer?.stop();
  if (search instanceof ElasticsearchSearch) await search.destroy();
  await search?.close();
  await cdc?.stop();
  await db?.close();
});

const listing = (fields: Partial<NewListing>): NewListing => ({
  sellerId, name: 'Thing', description: 'For sale.', category: 'electronics', country: 'US', city: 'Boston', priceAmount: 10_000, priceCurrency: 'usd', ...fields,
});

/** The ids search finds, in id order. */
async function ids(query: SearchQuery): Promise<number[]> {
  return (await (await search.serving()).search(query)).hits.map((h) => h.id).sort((a, b) => a - b);
}

{
  it('finds a new listing by a typo\'d query, follows edits, and drops sold and removed listings', async () => {
    const tv = await createListing(db.pool, listing({ name: 'Samsung 55" TV - second-hand', description: 'Works perfectly.' }));
    await eventually(() => ids({ q: 'sceond-hnad tv' }), [tv]);
    const [hit] = (await (await search.serving()).search({ q: 'samsung' })).hits;
    expect(hit).toMatchObject({ id: tv, seller_name: 'Søren Seller', price_amount: 10_000 });

    await updateListing(db.pool, tv, { name: 'Samsung 55" television', price_amount: 8_000 });
    await eventually(() => ids({ q: 'television' }), [tv]);
    await eventually(() => ids({ q: 'second-hand' }), []);

    await placeOrder(db.pool, tv, buyerId);
    await eventually(() => ids({ q: 'samsung' }), []);

    const sofa = await createListing(db.pool, listing({ name: 'Velvet sofa', category: 'furniture' }));
    await eventually(() => ids({ q: 'sofa' }), [sofa]);
    await removeListing(db.pool, sofa);
    await eventually(() => ids({ q: 'sofa' }), []);
  });

  it('does not resurrect deletions or roll back edits when old events are delivered again', async () => {
    const lamp = await createListing(db.pool, listing({ name: 'Brass lamp' }));
    await updateListing(db.pool, lamp, { name: 'Brass floor lamp' });
    const chair = await createListing(db.pool, listing({ name: 'Rocking chair' }));
    await removeListing(db.pool, chair);
    await eventually(() => ids({ q: 'floor lamp' }), [lamp]);
    await eventually(() => ids({ q: 'rocking' }), []);

    // Publish every listing event once more, as a redelivery after a crash would.
    const topic = `sl.${db.name}.listings`;
    const old = await readTopic(cdc.bus, topic);
    await cdc.bus.publish(topic, old.map((m) => ({ key: m.key, value: m.value, headers: m.headers })));
    const deadline = Date.now() + 10_000;
    while ((await cdc.bus.lag('search-indexer')).some((l) => l.lag > 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(await ids({ q: 'rocking' })).toEqual([]);
    expect((await (await search.serving()).search({ q: 'lamp' })).hits.map((h) => h.name)).toEqual(['Brass floor lamp']);
  });

  it('counts facets by category and city', async () => {
    for (const [category, city] of [['bikes', 'Austin'], ['bikes', 'Austin'], ['bikes', 'Denver'], ['sports', 'Austin']] as const) {
      await createListing(db.pool, listing({ name: 'Trail gear', category, city }));
    }
    expect(await waitForCount('trail', 4)).toHaveLength(4);
    const result = await (await search.serving()).search({ q: 'trail' });
    expect(result.facets.category).toEqual([{ value: 'bikes', count: 3 }, { value: 'sports', count: 1 }]);
    expect(result.facets.city).toEqual([{ value: 'Austin', count: 3 }, { value: 'Denver', count: 1 }]);
  });

  it('keeps the index across a restart and catches up on what changed meanwhile', async () => {
    const kept = await createListing(db.pool, listing({ name: 'Kept kayak' }));
    await eventually(() => ids({ q: 'kayak' }), [kept]);
    await indexer.stop();
    await search.close();
    const added = await createListing(db.pool, listing({ name: 'Added kayak paddle' }));
    await startIndexer();
    expect(await ids({ q: 'kept kayak' })).toEqual([kept]);
    await eventually(() => ids({ q: 'kayak' }), [kept, added]);
  });

  it('rebuilds the index from MySQL while writes go on, swaps it in, and verifies clean', async () => {
    const before = (await search.serving()).name;
    const writing = (async () => {
      for (let i = 0; i < 40; i++) {
        const id = await createListing(db.pool, listing({ name: `Rebuild widget ${i}` }));
        if (i % 3 === 0) await updateListing(db.pool, id, { price_amount: 500 + i });
        if (i % 5 === 0) await removeListing(db.pool, id);
      }
    })();
    const result = await reindex({ url: db.url, search, chunkRows: 7, progress: () => ({ update() {}, finish() {} }) });
    await writing;
    expect(result.index).not.toBe(before);
    expect((await search.serving()).name).toBe(result.index);
    const deadline = Date.now() + 10_000;
    let report = await verify({ url: db.url, search });
    while (report.missing.length + report.phantom.length + report.stale.length > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      report = await verify({ url: db.url, search });
    }
    expect(report).toMatchObject({ missing: [], phantom: [], stale: [] });
    expect(report.checked).toBeGreaterThan(30);

    // A listing missing from the index is reported.
    const store = await search.serving();
    const victim = (await store.scan(0, 1))[0]!;
    await store.remove([{ id: victim.doc.id, version: victim.version + 1n }]);
    // Elasticsearch shows a write after its next refresh (within a second).
    const until = Date.now() + 5_000;
    let missing = (await verify({ url: db.url, search })).missing;
    while (missing.length === 0 && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 100));
      missing = (await verify({ url: db.url, search })).missing;
    }
    expect(missing).toEqual([victim.doc.id]);
  });

  it('carries the truncate mark to a rebuilt index, so rows older than the truncate stay out of it too', async () => {
    const mark = versionOf(BigInt(Date.now() - 3_600_000), 0);
    await (await search.serving()).truncate(mark);
    await reindex({ url: db.url, search, progress: () => ({ update() {}, finish() {} }) });
    const rebuilt = await search.serving();
    expect(await rebuilt.truncatedBelow()).toBe(mark);
    const late = {
      doc: { id: 9_999_999, seller_id: sellerId, seller_name: 'Late', name: 'Truncated lamp', description: 'x', category: 'home-garden', country: 'US', city: 'Austin', latitude: null, longitude: null,
        price_amount: 100, price_currency: 'usd', status: 'active' as const, created_at: '2026-01-01T00:00:00.000000Z', updated_at: '2026-01-01T00:00:00.000000Z' },
      version: mark - 1n,
    };
    expect(await rebuilt.upsert([late])).toMatchObject({ applied: 0, stale: 1 });
  });

  it('serves GET /v1/search with hits, highlights and facets, and refuses bad parameters', async () => {
    const id = await createListing(db.pool, listing({ name: 'Nintendo Switch OLED', city: 'Chicago', priceAmount: 25_000 }));
    await eventually(() => ids({ q: 'nintendo' }), [id]);
    const app = await buildPublicServer({ pool: db.pool, log: silentLogger(), search });
    const base = await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const response = await fetch(`${base}/v1/search?q=nintnedo&city=chicago&min_price=20000`);
      expect(response.status).toBe(200);
      const body = await response.json() as { total: number; hits: { id: number; highlight: { name: string } }[]; facets: { city: unknown[] } };
      expect(body.total).toBe(1);
      expect(body.hits[0]).toMatchObject({ id, highlight: { name: '<mark>Nintendo</mark> Switch OLED' } });
      expect(body.facets.city).toEqual([{ value: 'Chicago', count: 1 }]);

      for (const [query, field] of [['per_page=500', 'per_page'], ['sort=cheapest', 'sort'], ['country=USA', 'country'], ['page=0', 'page'], ['colour=red', 'colour'], ['min_price=9&max_price=1', 'min_price'], ['page=600&per_page=20', 'page']] as const) {
        const bad = await fetch(`${base}/v1/search?${query}`);
        expect(bad.status, query).toBe(400);
        expect(await bad.json(), query).toMatchObject({ error: 'invalid_request', field, message: expect.stringMatching(new RegExp(`^${field}: `)) });
      }
    } finally {
      await app.close();
    }
  });
}

async function waitForCount(q: string, count: number): Promise<number[]> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const found = await ids({ q });
    if (found.length === count || Date.now() > deadline) return found;
    await new Promise((r) => setTimeout(r, 20));
  }
}
});

afterAll(() => dir.remove());
