// Synonyms on every search adapter: a word finds listings that use another word of its group,
// with the default groups or the ones SEARCH_SYNONYMS names.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { until } from '../../../test/fixtures/eventually.js';
import { closeAll, listingDocument, searchAdapters, upsertAll, type SearchAdapterOptions } from '../../../test/fixtures/search-adapters.js';
import { tempDir } from '../../../test/fixtures/temp-dir.js';
import { ConfigError } from '../../../core/errors.js';
import { loadConfig } from '../../../core/config/index.js';
import type { SearchService, SearchStore } from './port.js';
import { ElasticsearchSearch } from './elasticsearch.js';
import { openSearch } from './index.js';

const dir = tempDir();
afterAll(() => dir.remove());

const CATALOG = [
  listingDocument({ id: 1, name: 'Three-seat sofa', description: 'Grey fabric, seats three.', category: 'furniture' }),
  listingDocument({ id: 2, name: 'LG OLED TV 65"', description: 'Barely used, like new.' }),
  listingDocument({ id: 3, name: 'Road bike, 56cm frame', description: 'Recently serviced.', category: 'bikes' }),
  listingDocument({ id: 4, name: 'Sit-on-top kayak', description: 'With paddle.', category: 'sports' }),
  listingDocument({ id: 5, name: 'Oak dining table', description: 'Seats six.', category: 'furniture' }),
];

const ids = (result: { hits: { id: number }[] }) => result.hits.map((h) => h.id);

describe.each(searchAdapters(dir.path))('search synonyms: $name', (adapter) => {
  const opened: SearchService[] = [];
  afterEach(() => closeAll(opened));

  async function withCatalog(options?: SearchAdapterOptions): Promise<SearchStore> {
    const service = await adapter.open(options);
    opened.push(service);
    await service.ensureIndex();
    await upsertAll(service, CATALOG);
    return service.serving();
  }

  it('finds the sofa when asked for a couch, and other default groups both ways', async () => {
    const store = await withCatalog();
    expect(ids(await store.search({ q: 'couch' }))).toEqual([1]);
    expect(ids(await store.search({ q: 'couches' }))).toEqual([1]);
    expect(ids(await store.search({ q: 'television' }))).toEqual([2]);
    expect(ids(await store.search({ q: 'bicycle' }))).toEqual([3]);
    expect(ids(await store.search({ q: 'sofa' }))).toEqual([1]);
  });

  it('applies synonyms within a query of several words', async () => {
    const store = await withCatalog();
    expect(ids(await store.search({ q: 'grey couch' }))).toEqual([1]);
    expect(ids(await store.search({ q: 'oled television' }))).toEqual([2]);
  });

  it('highlights the word that was found for its synonym', async () => {
    const store = await withCatalog();
    const [hit] = (await store.search({ q: 'couch' })).hits;
    expect(hit!.highlight.name).toBe('Three-seat <mark>sofa</mark>');
  });

  it('uses the configured groups instead of the defaults', async () => {
    const store = await withCatalog({ synonyms: [['canoe', 'kayak']] });
    expect(ids(await store.search({ q: 'canoe' }))).toEqual([4]);
    expect(ids(await store.search({ q: 'couch' }))).toEqual([]);
  });

  it('reads a word in two groups as a synonym of both', async () => {
    const store = await withCatalog({ synonyms: [['boat', 'canoe'], ['canoe', 'kayak']] });
    expect(ids(await store.search({ q: 'canoe' }))).toEqual([4]);
    expect(ids(await store.search({ q: 'boat' }))).toEqual([]);
  });

  it('uses no synonyms when there are no groups', async () => {
    const store = await withCatalog({ synonyms: [] });
    expect(ids(await store.search({ q: 'television' }))).toEqual([]);
  });
});

describe('the SEARCH_SYNONYMS setting', () => {
  const load = (value?: string) => loadConfig(value === undefined ? {} : { SEARCH_SYNONYMS: value }, { cwd: dir.path, dotEnv: false });

  it('defaults to groups such as couch/sofa, tv/television and bike/bicycle', () => {
    expect(load().search.synonyms).toEqual(expect.arrayContaining([expect.arrayContaining(['couch', 'sofa']), ['tv', 'television'], ['bike', 'bicycle']]));
  });

  it('reads groups separated by ";", and "none" turns synonyms off', () => {
    expect(load('Canoe,kayak; pram,stroller,buggy').search.synonyms).toEqual([['canoe', 'kayak'], ['pram', 'stroller', 'buggy']]);
    expect(load('none').search.synonyms).toEqual([]);
  });

  // The configuration opens the embedded index on its own thread: one case for both embedded adapters.
  it.each([...new Set(searchAdapters(dir.path).map((a) => (a.name === 'elasticsearch' ? a.name : 'embedded')))])('reaches the %s engine the configuration opens', async (engine) => {
    const env: NodeJS.ProcessEnv = { SEARCH_SYNONYMS: 'canoe,kayak', SEARCH_DIR: join(dir.path, `configured-${Date.now()}`), SEARCH_INDEX: `configured-${randomBytes(4).toString('hex')}` };
    if (engine === 'elasticsearch') env.ELASTICSEARCH_URL = process.env.ELASTICSEARCH_URL;
    const service = await openSearch(loadConfig(env, { cwd: dir.path, dotEnv: false }));
    try {
      expect(service.kind).toBe(engine);
      const store = await service.serving();
      await store.upsert([{ doc: listingDocument({ id: 1, name: 'Sit-on-top kayak' }), version: 1n }]);
      // Elasticsearch opened as the platform opens it refreshes every 250 ms, not per write.
      expect(ids(await until(() => store.search({ q: 'canoe' }), (result) => result.total > 0))).toEqual([1]);
    } finally {
      if (service instanceof ElasticsearchSearch) await service.destroy();
      await service.close();
    }
  });

  it('refuses a malformed value with an error naming the setting and the expected form', () => {
    for (const bad of ['couch', 'tv,flat screen', 'couch,sofa;tv']) {
      try {
        load(bad);
        expect.unreachable(`SEARCH_SYNONYMS=${bad} was accepted`);
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        expect((error as ConfigError).problems).toEqual([expect.stringMatching(/^SEARCH_SYNONYMS: .*write groups as "couch,sofa;tv,television"/)]);
      }
    }
  });
});
