// The indexer's group commit: the batches of the listings topic's partitions that come while an
// index write runs are written together in the next one, and a refused document still fails only
// its own batch. A real embedded index, bus and MariaDB; the index is wrapped only to hold its
// first write back (as a busy index thread would) and to refuse one listing.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envelopes, readTopic, startTestReader, type TestReader } from '../../../test/fixtures/cdc.js';
import { createTestDatabase, type TestDatabase } from '../../../test/fixtures/database.js';
import { tempDir } from '../../../test/fixtures/temp-dir.js';
import { silentLogger } from '../../../core/log.js';
import { createListing } from '../../../marketplace/domain/listings.js';
import { createUser } from '../../../marketplace/domain/users.js';
import type { ChangeEnvelope } from '../../cdc/envelope.js';
import { EmbeddedSearch } from './embedded/index.js';
import { startSearchIndexer } from './indexer.js';
import type { SearchService, SearchStore, VersionedDocument } from './port.js';

const dir = tempDir();
let db: TestDatabase;
let cdc: TestReader;
let model: ChangeEnvelope;

beforeAll(async () => {
  db = await createTestDatabase('merged');
  cdc = await startTestReader(db.url, join(dir.path, 'cdc'));
  const seller = await createUser(db.pool, { email: 'merged@example.com', name: 'Mia Merged', passwordHash: 'x' });
  await createListing(db.pool, { sellerId: seller.id, name: 'Model lamp', description: 'Bright', category: 'home-garden', country: 'GB', city: 'Leeds', priceAmount: 100, priceCurrency: 'gbp' });
  const topic = `sl.${db.name}.listings`;
  for (let tries = 0; !model && tries < 200; tries++) {
    model = envelopes(await readTopic(cdc.bus, topic)).find((envelope) => envelope.op === 'c')!;
    if (!model) await new Promise((r) => setTimeout(r, 50));
  }
});
afterAll(async () => {
  await cdc?.stop();
  await db?.close();
  dir.remove();
});

/** The index's writes as they reach it: the first held `holdMs`; `refuse` fails one listing's. */
function observed(search: SearchService, holdMs: number, refuse?: number) {
  const upserts: number[][] = [];
  const wrap = (store: SearchStore): SearchStore => ({
    ...store,
    name: store.name,
    upsert: async (documents: readonly VersionedDocument[]) => {
      upserts.push(documents.map((d) => d.doc.id));
      if (upserts.length === 1) await new Promise((r) => setTimeout(r, holdMs));
      const refused = documents.filter((d) => d.doc.id === refuse);
      const outcome = await store.upsert(documents.filter((d) => d.doc.id !== refuse));
      return { ...outcome, failed: refused.map((d) => ({ id: d.doc.id, error: 'refused by the test', retriable: false })) };
    },
  });
  const service: SearchService = Object.assign(Object.create(search) as SearchService, {
    writeTargets: async () => (await search.writeTargets()).map(wrap),
  });
  return { service, upserts };
}

/** Ten new listings in each of the three partitions, ids from `first`. */
async function publishListings(first: number) {
  const topic = `sl.${db.name}.listings`;
  await cdc.bus.publish(topic, [0, 1, 2].flatMap((partition) => Array.from({ length: 10 }, (_, n) => {
    const id = first + partition * 10 + n;
    const value = JSON.stringify({ ...model, after: { ...model.after, id, name: `Merged lamp ${id}` }, source: { ...model.source, sequence: String(1_000_000 + id) } });
    return { key: null, partition, value };
  })));
}

async function indexedAll(group: string) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const lag = (await cdc.bus.lag(group)).filter((p) => p.topic === `sl.${db.name}.listings`);
    if ((lag.length > 0 && lag.every((p) => p.lag === 0)) || Date.now() > deadline) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('the search indexer\'s merged writes', () => {
  it('writes the batches that came while the index was busy in one upsert', async () => {
    await publishListings(1000);
    const search = new EmbeddedSearch(join(dir.path, 'search-merged'));
    await search.ensureIndex();
    const { service, upserts } = observed(search, 500);
    const indexer = startSearchIndexer({ bus: cdc.bus, search: service, pool: db.pool, database: db.name, topicPrefix: 'sl', log: silentLogger(), group: 'merged' });
    await indexer.start();
    try {
      await indexedAll('merged');
      const found = (await (await search.serving()).search({ q: 'merged lamp', perPage: 100 })).hits.map((hit) => hit.id).sort((a, b) => a - b);
      expect(found).toEqual(Array.from({ length: 30 }, (_, n) => 1000 + n));
      // Alone, each partition's batch is an upsert of its own: three. The first write is held, so
      // what comes meanwhile (the model listing's batch may be that first) is merged.
      const ours = upserts.filter((ids) => ids.some((id) => id >= 1000));
      expect(ours.length).toBeLessThan(3);
    } finally {
      await indexer.stop();
      await search.close();
    }
  });

  it('indexes every other batch of a merged upsert the index refused, and dead-letters only the refused listing', async () => {
    await publishListings(2000);
    const search = new EmbeddedSearch(join(dir.path, 'search-refused'));
    await search.ensureIndex();
    const { service } = observed(search, 500, 2025);
    const indexer = startSearchIndexer({ bus: cdc.bus, search: service, pool: db.pool, database: db.name, topicPrefix: 'sl', log: silentLogger(), group: 'merged-refused' });
    await indexer.start();
    try {
      await indexedAll('merged-refused');
      const found = (await (await search.serving()).search({ q: 'merged lamp', perPage: 100 })).hits.map((hit) => hit.id).filter((id) => id >= 2000).sort((a, b) => a - b);
      expect(found).toEqual(Array.from({ length: 30 }, (_, n) => 2000 + n).filter((id) => id !== 2025));
      const letters = await readTopic(cdc.bus, 'sl.dlq.merged-refused');
      expect(letters.map((letter) => (JSON.parse(letter.value!.toString()) as { after: { id: number } }).after.id)).toEqual([2025]);
    } finally {
      await indexer.stop();
      await search.close();
    }
  });
});
