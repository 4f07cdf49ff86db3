// The embedded engine's own behaviour beyond the search contract: the in-memory index kept in
// step with the SQLite file across processes, restarts (snapshot or not) and the earlier format;
// compaction; the stored browse orders; the top-k heap and highlight snippets.
import { randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../../../test/fixtures/temp-dir.js';
import type { ListingDocument, SearchService } from '../port.js';
import { highlightAll, snippet } from './highlight.js';
import { DEFAULT_SYNONYMS } from '../synonyms.js';
import { EmbeddedSearch } from './index.js';
import { ListingIndex, SNAPSHOT_SUFFIX } from './listing-index.js';
import { MemoryIndex } from './memory-index.js';
import { QueryEngine } from './query-engine.js';
import { readSnapshot } from './snapshot.js';
import { SurfaceWords, withinBudget } from './surface-words.js';
import { TopK } from './top-k.js';
import { Random } from '../../../../marketplace/sample-data/random.js';
import { stems } from '../query-terms.js';

const dir = tempDir();
afterAll(() => dir.remove());

const folder = () => join(dir.path, randomBytes(4).toString('hex'));
const ids = (result: { hits: { id: number }[] }) => result.hits.map((h) => h.id);

function listing(fields: Partial<ListingDocument> & { id: number }): ListingDocument {
  return {
    seller_id: 1, seller_name: 'Zoë', name: 'Thing', description: 'A thing for sale.', category: 'electronics', country: 'US', city: 'Boston',
    latitude: null, longitude: null, price_amount: 10_000, price_currency: 'usd', status: 'active',
    created_at: `2026-01-${String((fields.id % 28) + 1).padStart(2, '0')}T10:00:00.000000Z`, updated_at: '2026-01-01T10:00:00.000000Z', ...fields,
  };
}

async function put(service: SearchService, docs: ListingDocument[], version = 1n): Promise<void> {
  await (await service.serving()).upsert(docs.map((doc) => ({ doc, version })));
}

describe('the embedded index shared by processes and kept across restarts', () => {
  it('shows a second service on the same folder what the first one wrote, and the other way round', async () => {
    const path = folder();
    const writer = new EmbeddedSearch(path);
    const reader = new EmbeddedSearch(path);
    try {
      await put(writer, [listing({ id: 1, name: 'Canoe with paddles' })]);
      expect(ids(await (await reader.serving()).search({ q: 'canoe' }))).toEqual([1]);
      await (await writer.serving()).remove([{ id: 1, version: 2n }]);
      expect(ids(await (await reader.serving()).search({ q: 'canoe' }))).toEqual([]);
      await put(reader, [listing({ id: 2, name: 'Canoe trailer' })]);
      expect(ids(await (await writer.serving()).search({ q: 'canoe' }))).toEqual([2]);
      expect(await (await writer.serving()).count()).toBe(1);
    } finally {
      await writer.close();
      await reader.close();
    }
  });

  it('opens from its snapshot and replays what was written after it, also without a clean close', async () => {
    const path = folder();
    const first = new EmbeddedSearch(path);
    await put(first, [listing({ id: 1, name: 'Kayak' }), listing({ id: 2, name: 'Kayak paddle' })]);
    await first.close();
    // Written after the snapshot by a process that then dies (never closes).
    const crashed = new EmbeddedSearch(path);
    await put(crashed, [listing({ id: 3, name: 'Kayak roof rack' }), listing({ id: 2, name: 'Spare paddle' })], 2n);
    const next = new EmbeddedSearch(path);
    try {
      const store = await next.serving();
      expect(ids(await store.search({ q: 'kayak', sort: 'newest' })).sort()).toEqual([1, 3]);
      expect(ids(await store.search({ q: 'spare' }))).toEqual([2]);
      expect(await store.count()).toBe(3);
    } finally {
      await next.close();
      await crashed.close();
    }
  });

  it('writes a snapshot as it is written, so an open after a kill -9 replays only what came after it', async () => {
    const path = join(folder(), 'snap.sqlite');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(path, '..'), { recursive: true });
    // Every 100 changed documents at most; no wait between snapshots (a test cannot wait 10 s).
    const writing = new ListingIndex('snap', path, DEFAULT_SYNONYMS, { changes: 100, ms: 0 });
    const batch = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => ({ doc: listing({ id: from + i, name: `Kayak ${from + i}` }), version: 1n }));
    await writing.upsert(batch(1, 60));
    // The open's own snapshot (of an empty index) is all there is after 60.
    expect(readSnapshot(`${path}${SNAPSHOT_SUFFIX}`)?.image.ordinals).toBe(0);
    await writing.upsert(batch(61, 150));
    expect(readSnapshot(`${path}${SNAPSHOT_SUFFIX}`)?.image.ordinals).toBe(150);
    await writing.upsert(batch(151, 160));
    // Opened again while the writer was never closed (as after a kill -9): the snapshot, then the last 10.
    const reopened = new ListingIndex('snap', path, DEFAULT_SYNONYMS);
    try {
      expect(await reopened.count()).toBe(160);
      expect(ids(await reopened.search({ q: 'kayak', perPage: 200 })).sort((a, b) => a - b)).toEqual(Array.from({ length: 160 }, (_, i) => i + 1));
    } finally {
      reopened.close();
      writing.close();
    }
  });

  it('rebuilds from the documents when the snapshot cannot be read', async () => {
    const path = folder();
    const first = new EmbeddedSearch(path);
    await put(first, [listing({ id: 1, name: 'Kayak' })]);
    const name = (await first.serving()).name;
    await first.close();
    const snapshot = join(path, `${name}.sqlite.snapshot`);
    expect(existsSync(snapshot)).toBe(true);
    writeFileSync(snapshot, 'not a snapshot');
    const second = new EmbeddedSearch(path);
    try {
      expect(ids(await (await second.serving()).search({ q: 'kayak' }))).toEqual([1]);
    } finally {
      await second.close();
    }
  });

  it('opens an index written by the earlier full-text (FTS5) engine, dropping what it no longer needs', async () => {
    const path = folder();
    const name = 'listings-1';
    const { mkdirSync } = await import('node:fs');
    mkdirSync(path, { recursive: true });
    writeFileSync(join(path, 'listings.catalog.json'), JSON.stringify({ serving: name, building: [] }));
    const old = new Database(join(path, `${name}.sqlite`));
    old.exec(`CREATE TABLE docs (id INTEGER PRIMARY KEY, version INTEGER NOT NULL, deleted INTEGER NOT NULL DEFAULT 0,
        seller_id INTEGER, seller_name TEXT, name TEXT, description TEXT, category TEXT, country TEXT, city TEXT,
        price_amount INTEGER, price_currency TEXT, status TEXT, created_at TEXT, updated_at TEXT);
      CREATE INDEX docs_live_created ON docs (deleted, created_at);
      CREATE VIRTUAL TABLE docs_fts USING fts5(name, description, category, city, content = 'docs', content_rowid = 'id');
      CREATE VIRTUAL TABLE docs_terms USING fts5vocab(docs_fts, 'row');
      CREATE TABLE words (word TEXT PRIMARY KEY) WITHOUT ROWID;
      CREATE TABLE truncations (only INTEGER PRIMARY KEY CHECK (only = 1), below INTEGER NOT NULL);
      INSERT INTO docs VALUES (7, 5, 0, 1, 'Zoë', 'Old oak table', 'Solid.', 'furniture', 'US', 'Boston', 100, 'usd', 'active', '2026-01-01T10:00:00.000000Z', '2026-01-01T10:00:00.000000Z');
      INSERT INTO docs (id, version, deleted) VALUES (8, 9, 1);`);
    old.close();
    const service = new EmbeddedSearch(path);
    try {
      const store = await service.serving();
      expect(ids(await store.search({ q: 'oak' }))).toEqual([7]);
      // The tombstone still refuses an older write.
      expect(await store.upsert([{ doc: listing({ id: 8, name: 'Old oak chair' }), version: 8n }])).toMatchObject({ applied: 0, stale: 1 });
    } finally {
      await service.close();
    }
    const tables = new Database(join(path, `${name}.sqlite`)).prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all();
    expect(tables).not.toContain('docs_fts');
    expect(tables).not.toContain('words');
  });
});

describe('searches without words', () => {
  it('list newest first and by price, following documents added, changed and removed after the order was built', async () => {
    const service = new EmbeddedSearch(folder());
    try {
      const store = await service.serving();
      // Past the tail length at which the stored order is merged, and a few after it.
      const docs = Array.from({ length: 9000 }, (_, i) => listing({ id: i + 1, price_amount: 1000 + i, created_at: `2026-02-01T10:00:00.${String(i).padStart(6, '0')}Z` }));
      await put(service, docs);
      expect(ids(await store.search({ perPage: 3 }))).toEqual([9000, 8999, 8998]);
      await put(service, [
        listing({ id: 9001, price_amount: 5, created_at: '2026-03-01T10:00:00.000000Z' }),
        listing({ id: 9002, price_amount: 50_000, created_at: '2026-03-02T10:00:00.000000Z' }),
        listing({ id: 8999, price_amount: 6, created_at: '2026-01-01T10:00:00.000000Z' }),
      ], 2n);
      await store.remove([{ id: 9000, version: 3n }]);
      expect(ids(await store.search({ perPage: 4 }))).toEqual([9002, 9001, 8998, 8997]);
      expect(ids(await store.search({ sort: 'price_asc', perPage: 3 }))).toEqual([9001, 8999, 1]);
      expect(ids(await store.search({ sort: 'price_desc', perPage: 3 }))).toEqual([9002, 8998, 8997]);
      const filtered = await store.search({ maxPrice: 1004, sort: 'price_desc' });
      expect(ids(filtered)).toEqual([5, 4, 3, 2, 1, 8999, 9001]);
      expect(filtered).toMatchObject({ total: 7, totalRelation: 'eq' });
      expect(filtered.facets.city).toEqual([{ value: 'Boston', count: 7 }]);
    } finally {
      await service.close();
    }
  });
});

describe('the memory index', () => {
  const row = (id: number, name: string) => ({
    id, deleted: 0, name, description: 'Pick up in Boston.', category: 'sports', country: 'US', city: 'Boston', price_amount: id,
    status: 'active', created_at: '2026-01-01T10:00:00.000000Z', latitude: null, longitude: null,
  });

  it('answers the same after a compaction drops the replaced and removed documents', () => {
    const index = new MemoryIndex();
    const engine = new QueryEngine(index);
    for (let id = 1; id <= 300; id++) index.put(row(id, id % 3 === 0 ? 'red kayak' : 'blue canoe'));
    for (let id = 1; id <= 300; id += 2) index.put(row(id, 'green kayak'));
    for (let id = 2; id <= 300; id += 4) index.remove(id);
    const search = () => {
      const evaluation = engine.run([['kayak']], true, {}, 'price_asc', 500);
      return { total: evaluation.total, ids: evaluation.ordinals.map((d) => index.ids[d]) };
    };
    const before = search();
    expect(index.dead).toBeGreaterThan(0);
    index.compact();
    expect(index.dead).toBe(0);
    expect(index.ordinals).toBe(index.size);
    expect(search()).toEqual(before);
    expect(before.total).toBe(150 + 25);
  });

  it('finds a word again after a compaction dropped the last documents that had it', () => {
    const index = new MemoryIndex();
    const engine = new QueryEngine(index);
    index.put(row(1, 'zebra print rug'));
    index.put(row(2, 'blue canoe'));
    index.remove(1);
    index.compact();
    expect(index.postings('zebra')).toBeUndefined();
    index.put(row(3, 'zebra lamp'));
    expect(engine.run([['zebra']], true, {}, 'price_asc', 10).ordinals.map((d) => index.ids[d])).toEqual([3]);
  });

  it('weights every term of every document as counting its words field by field does, through replacements, removals and compactions', () => {
    const vocabulary = ['bike', 'bikes', 'biking', 'red', 'Red', 'kayak', 'kayaks', 'paddle', 'café', 'cafe', 'boston', 'tent', 'a', 'the', '26"', 'x2'];
    const random = new Random(26);
    // Rare words too: a list untouched since before a compaction must still take its next document.
    const word = () => (random.chance(0.1) ? `rare${random.int(1, 500)}` : random.pick(vocabulary));
    const text = (n: number) => Array.from({ length: n }, word).join(random.chance(0.5) ? ' ' : ', ');
    const weights = { name: 6, description: 1, category: 2, city: 1.5 };
    const index = new MemoryIndex();
    // The model: per live document, its ordinal and the impact of each stem, as BM25 with the
    // average length at indexing time gives it; ordinals renumbered in order at each compaction.
    let model = new Map<number, { ordinal: number; impacts: Map<string, number>; length: number }>();
    let ordinals = 0;
    let tokenTotal = 0;
    for (let step = 0; step < 3000; step++) {
      const id = random.int(1, 400);
      const old = model.get(id);
      if (old) tokenTotal -= old.length;
      model.delete(id);
      if (random.chance(0.2)) {
        index.remove(id);
      } else {
        const doc = { ...row(id, text(random.int(0, 4))), description: text(random.int(0, 12)), category: random.pick(['sports', 'Sports', 'outdoor gear']), city: random.pick(['Boston', 'São Paulo']) };
        index.put(doc);
        const tf = new Map<string, number>();
        let length = 0;
        for (const [field, weight] of Object.entries(weights)) {
          for (const stem of stems(doc[field as keyof typeof weights])) tf.set(stem, (tf.get(stem) ?? 0) + weight);
          length += stems(doc[field as keyof typeof weights]).length;
        }
        tokenTotal += length;
        const norm = 1.2 * (1 - 0.75 + (0.75 * length) / (tokenTotal / (model.size + 1) || 1));
        model.set(id, { ordinal: ordinals++, impacts: new Map([...tf].map(([stem, f]) => [stem, Math.fround((f * (1.2 + 1)) / (f + norm))])), length });
      }
      if (step % 700 === 699) {
        index.compact();
        const live = [...model].sort((a, b) => a[1].ordinal - b[1].ordinal);
        model = new Map(live.map(([docId, entry], i) => [docId, { ...entry, ordinal: i }]));
        ordinals = live.length;
      }
    }
    const expected = new Map<string, [number, number][]>();
    for (const { ordinal, impacts } of [...model.values()].sort((a, b) => a.ordinal - b.ordinal)) {
      for (const [stem, impact] of impacts) expected.set(stem, [...(expected.get(stem) ?? []), [ordinal, impact]]);
    }
    const live = (stem: string) => {
      const postings = index.postings(stem)!;
      return [...postings.docs.subarray(0, postings.length)].flatMap((d, i) => (index.state[d] ? [[d, postings.impacts[i]!] as [number, number]] : []));
    };
    expect(new Map([...index.terms.keys()].map((stem) => [stem, live(stem)] as const).filter(([, list]) => list.length > 0))).toEqual(expected);
  });

  it('finds documents with every word when one word is rare and another in almost every document', () => {
    const index = new MemoryIndex();
    const engine = new QueryEngine(index);
    for (let id = 1; id <= 400; id++) index.put(row(id, id % 80 === 0 ? 'red kayak' : 'blue canoe'));
    // "boston" (every description) is looked up per kayak candidate rather than read whole.
    const evaluation = engine.run([['kayak'], ['boston'], ['red']], true, {}, 'price_asc', 10);
    expect(evaluation.ordinals.map((d) => index.ids[d])).toEqual([80, 160, 240, 320, 400]);
    expect(engine.run([['kayak'], ['boston'], ['blue']], true, {}, 'price_asc', 10).total).toBe(0);
    const scored = engine.run([['kayak'], ['boston']], true, {}, 'relevance', 10);
    expect(scored.score(scored.ordinals[0]!)).toBeGreaterThan(engine.run([['kayak']], true, {}, 'relevance', 10).score(scored.ordinals[0]!));
  });

  it('keeps the best k of many candidates as a full sort would', () => {
    const top = new TopK(10);
    const keys = Array.from({ length: 1000 }, (_, i) => ({ key: (i * 7919) % 101, tie: i }));
    for (const { key, tie } of keys) top.offer(key, tie, tie);
    const expected = [...keys].sort((a, b) => b.key - a.key || b.tie - a.tie).slice(0, 10).map((k) => k.tie);
    expect(top.drain()).toEqual(expected);
  });
});

describe('typo candidates', () => {
  it('finds words within the allowed edits among many, a changed first letter and a swap included', () => {
    const surface = new SurfaceWords();
    const letters = 'abcdefghijklmnopqrstuvwxyz';
    let seed = 7;
    const next = () => (seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648);
    for (let i = 0; i < 50_000; i++) surface.learn(Array.from({ length: 4 + (next() % 6) }, () => letters[next() % 26]).join(''));
    for (const word of ['kayak', 'second', 'leather']) surface.learn(word);
    const any = () => 1;
    expect(surface.similar('cayak', any)).toContain('kayak');
    expect(surface.similar('sceond', any)).toContain('second');
    expect(surface.similar('lether', any)).toContain('leather');
    expect(surface.similar('kayak', any)).not.toContain('kayak');
  });
});

describe('type-ahead expansions', () => {
  it('skip a word in almost every listing rather than read all of it, keeping the rarer ones', () => {
    const postings: Record<string, number> = { selling: 1_000_000, second: 143_000, seat: 20_000, set: 150_000 };
    expect(withinBudget(['selling', 'set', 'second', 'seat'], (s) => postings[s]!, 300_000)).toEqual(['set', 'second']);
    expect(withinBudget(['seat'], (s) => postings[s]!, 300_000)).toEqual(['seat']);
  });
});

describe('highlights', () => {
  const matches = (word: string) => word === 'kayak';

  it('marks every matched word and escapes the rest', () => {
    expect(highlightAll('Kayak & "kayak" <rack>', matches)).toBe('<mark>Kayak</mark> &amp; &quot;<mark>kayak</mark>&quot; &lt;rack&gt;');
    expect(highlightAll('Canoe', matches)).toBeUndefined();
  });

  it('cuts a long description to words around the first match', () => {
    const filler = Array.from({ length: 40 }, (_, i) => `w${i}`).join(' ');
    const text = `${filler} the kayak is red. ${filler}`;
    const cut = snippet(text, matches)!;
    expect(cut.startsWith('…w37 w38 w39 the <mark>kayak</mark> is red. w0 ')).toBe(true);
    expect(cut.endsWith('…')).toBe(true);
    expect(cut.split(' ')).toHaveLength(24);
  });
});
