// A listing's coordinates from MariaDB through change capture and the indexer into the index:
// written with a city, found near it, and found near the new city once it moves.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestReader, type TestReader } from '../../../test/fixtures/cdc.js';
import { eventually } from '../../../test/fixtures/eventually.js';
import { createTestDatabase, type TestDatabase } from '../../../test/fixtures/database.js';
import { closeAll, searchAdapters } from '../../../test/fixtures/search-adapters.js';
import { tempDir } from '../../../test/fixtures/temp-dir.js';
import { silentLogger } from '../../../core/log.js';
import { createListing, updateListing } from '../../../marketplace/domain/listings.js';
import { createUser } from '../../../marketplace/domain/users.js';
import { worldCities } from '../../../marketplace/places/geonames-gazetteer.js';
import type { ConsumerRunner } from '../../consumers/runner.js';
import { startSearchIndexer } from './indexer.js';
import type { SearchQuery, SearchService } from './port.js';

const dir = tempDir();
afterAll(() => dir.remove());

describe.each(searchAdapters(dir.path))('listings found near their city, fed by change capture: $name', (adapter) => {
  let db: TestDatabase;
  let cdc: TestReader;
  let indexer: ConsumerRunner;
  const opened: SearchService[] = [];
  let sellerId: number;

  beforeAll(async () => {
    db = await createTestDatabase('near');
    cdc = await startTestReader(db.url, join(dir.path, `cdc-${adapter.name}`));
    const search = await adapter.open();
    opened.push(search);
    await search.ensureIndex();
    indexer = startSearchIndexer({ bus: cdc.bus, search, pool: db.pool, database: db.name, topicPrefix: 'sl', log: silentLogger() });
    await indexer.start();
    sellerId = (await createUser(db.pool, { email: 'near@example.com', name: 'Nia Near', passwordHash: 'x' })).id;
    await worldCities().load();
  }, 180_000);
  afterAll(async () => {
    await indexer?.stop();
    await closeAll(opened);
    await cdc?.stop();
    await db?.close();
  });

  async function found(query: SearchQuery): Promise<{ id: number; km: number }[]> {
    const result = await (await opened[0]!.serving()).search(query);
    return result.hits.map((hit) => ({ id: hit.id, km: Math.round(hit.distance_km ?? -1) }));
  }

  it('indexes the coordinates the listing was written with, and their change', async () => {
    const munich = { latitude: 48.13743, longitude: 11.57549 };
    const id = await createListing(db.pool, { sellerId, name: 'Cargo bike', description: 'Two kids fit.', category: 'bikes', country: 'DE', city: 'München', priceAmount: 90_000, priceCurrency: 'eur' });
    await eventually(() => found({ q: 'cargo', near: { ...munich, withinKm: 50 } }), [{ id, km: 0 }]);

    await updateListing(db.pool, id, { city: 'Hamburg' });
    await eventually(() => found({ q: 'cargo', near: { ...munich, withinKm: 50 } }), []);
    // Munich to Hamburg, great-circle.
    await eventually(() => found({ q: 'cargo', near: munich }), [{ id, km: 612 }]);
  });
});
