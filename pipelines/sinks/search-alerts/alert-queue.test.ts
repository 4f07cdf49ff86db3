// What a match queues, against a real MariaDB: the match once, its search_alert.matched event in
// the outbox when the owner has an endpoint taking it, and digests at most every 15 minutes per search, with the waiting matches in them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createListing } from '../../../marketplace/domain/listings.js';
import { createSavedSearch, unsubscribeLinkKey } from '../../../marketplace/domain/saved-searches.js';
import { createUser } from '../../../marketplace/domain/users.js';
import type { RowDataPacket } from '../../../marketplace/mysql/connection.js';
import { createTestDatabase, type TestDatabase } from '../../../test/fixtures/database.js';
import type { ListingDocument } from '../search/port.js';
import { DIGEST_INTERVAL_MS, flushDueDigests, noQueueTimings, queueAlerts, type ListingMatch } from './alert-queue.js';

let db: TestDatabase;
let key: string;
beforeAll(async () => {
  db = await createTestDatabase();
  key = await unsubscribeLinkKey(db.pool);
});
afterAll(async () => db?.close());

let people = 0;
const person = () => createUser(db.pool, { email: `alerts${++people}-${Date.now()}@example.com`, name: `Person ${people}`, passwordHash: 'x' });

/** A webhook endpoint of the user's, taking `types` (none: every event). */
async function endpoint(userId: number, types: string[], enabled = true): Promise<void> {
  await db.pool.query('INSERT INTO webhook_endpoints (user_id, url, event_types, secret, enabled) VALUES (?, ?, ?, ?, ?)', [userId, 'https://hooks.example/alerts', JSON.stringify(types), 'whsec_test', enabled ? 1 : 0]);
}

/** Someone whose endpoint takes the matches' events. */
async function subscriber() {
  const user = await person();
  await endpoint(user.id, ['search_alert.matched']);
  return user;
}

async function listing(sellerId: number, name: string): Promise<ListingDocument> {
  const fields = { name, description: 'Works.', category: 'electronics', country: 'US', city: 'San Francisco', priceAmount: 10_000, priceCurrency: 'usd' };
  const id = await createListing(db.pool, { sellerId, ...fields });
  return {
    id, seller_id: sellerId, seller_name: null, name, description: fields.description, category: fields.category, country: fields.country, city: fields.city, latitude: null, longitude: null,
    price_amount: fields.priceAmount, price_currency: fields.priceCurrency, status: 'active', created_at: '', updated_at: '',
  };
}

async function emails(userId: number): Promise<Record<string, any>[]> {
  const [rows] = await db.pool.query<RowDataPacket[]>("SELECT data FROM email_messages WHERE user_id = ? AND template = 'search_alert' ORDER BY id", [userId]);
  return rows.map((row) => (typeof row.data === 'string' ? JSON.parse(row.data) : row.data));
}

describe('queueing alerts', () => {
  it('records a match once with its webhook event, mails at once, then at most every 15 minutes', async () => {
    const buyer = await subscriber();
    const seller = await person();
    const search = await createSavedSearch(db.pool, { userId: buyer.id, siteUrl: 'http://shop.example', q: 'tv', city: 'San Francisco' });
    const first = await listing(seller.id, 'Samsung TV');
    const now = new Date();
    expect(await queueAlerts(db.pool, key, [{ listing: first, committedAtMs: now.getTime(), savedSearchIds: [search.id] }], now)).toEqual({ matched: 1, emailed: 1 });
    // Redelivered: nothing new.
    expect(await queueAlerts(db.pool, key, [{ listing: first, committedAtMs: now.getTime(), savedSearchIds: [search.id] }], now)).toEqual({ matched: 0, emailed: 0 });
    const [events] = await db.pool.query<RowDataPacket[]>("SELECT aggregate_type, aggregate_id, payload FROM outbox WHERE type = 'search_alert.matched' AND aggregate_id = ?", [String(search.id)]);
    expect(events).toHaveLength(1);
    expect(events[0]!.aggregate_type).toBe('saved_search');
    expect(typeof events[0]!.payload === 'string' ? JSON.parse(events[0]!.payload) : events[0]!.payload).toMatchObject({ saved_search_id: search.id, user_id: buyer.id, listing_id: first.id });
    const [sent] = await emails(buyer.id);
    expect(sent).toMatchObject({ description: '"tv" near San Francisco', listings: [{ id: first.id, name: 'Samsung TV', url: `http://shop.example/listings/${first.id}` }] });
    expect(sent!.unsubscribe_url).toMatch(new RegExp(`^http://shop.example/alerts/unsubscribe\\?s=${search.id}&sig=[\\w-]{43}$`));

    // Two more within the quarter hour wait for the next digest, which lists both.
    const second = await listing(seller.id, 'Sony TV');
    const third = await listing(seller.id, 'Old TV');
    const later = new Date(now.getTime() + 60_000);
    expect(await queueAlerts(db.pool, key, [second, third].map((doc) => ({ listing: doc, committedAtMs: later.getTime(), savedSearchIds: [search.id] })), later)).toEqual({ matched: 2, emailed: 0 });
    expect(await flushDueDigests(db.pool, key, later)).toBe(0);
    expect(await flushDueDigests(db.pool, key, new Date(now.getTime() + DIGEST_INTERVAL_MS))).toBe(1);
    const digests = await emails(buyer.id);
    expect(digests).toHaveLength(2);
    expect(digests[1]!.listings.map((l: { id: number }) => l.id)).toEqual([second.id, third.id]);
  });

  it('puts the matches that waited and the new one in the digest a new match makes due', async () => {
    const buyer = await person();
    const seller = await person();
    const search = await createSavedSearch(db.pool, { userId: buyer.id, siteUrl: 'http://shop.example', q: 'lamp' });
    const [first, waiting, gone, next] = [await listing(seller.id, 'Desk lamp'), await listing(seller.id, 'Floor lamp'), await listing(seller.id, 'Old lamp'), await listing(seller.id, 'Brass lamp')];
    const now = new Date();
    const match = (doc: ListingDocument, at: Date) => ({ listing: doc, committedAtMs: at.getTime(), savedSearchIds: [search.id] });
    await queueAlerts(db.pool, key, [match(first, now)], now);
    const soon = new Date(now.getTime() + 60_000);
    expect(await queueAlerts(db.pool, key, [match(waiting, soon), match(gone, soon)], soon)).toEqual({ matched: 2, emailed: 0 });
    await db.pool.query("UPDATE listings SET status = 'sold' WHERE id = ?", [gone.id]);
    const later = new Date(now.getTime() + DIGEST_INTERVAL_MS + 1_000);
    expect(await queueAlerts(db.pool, key, [match(next, later)], later)).toEqual({ matched: 1, emailed: 1 });
    const digests = await emails(buyer.id);
    expect(digests.map((digest) => digest.listings.map((l: { id: number }) => l.id))).toEqual([[first.id], [waiting.id, next.id]]);
    const [[pending]] = await db.pool.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM saved_search_matches WHERE saved_search_id = ? AND emailed_at IS NULL', [search.id]);
    expect(Number(pending!.n)).toBe(0);
    expect(await flushDueDigests(db.pool, key, new Date(later.getTime() + DIGEST_INTERVAL_MS))).toBe(0);
  });

  it('writes the event only for owners with an enabled endpoint taking it or every event; the match and the email for everyone', async () => {
    const seller = await person();
    const [plain, other, disabled, everything, taker] = await Promise.all(Array.from({ length: 5 }, () => person()));
    await endpoint(other!.id, ['order.placed']);
    await endpoint(disabled!.id, ['search_alert.matched'], false);
    await endpoint(everything!.id, []);
    await endpoint(taker!.id, ['order.placed', 'search_alert.matched']);
    const owners = [plain!, other!, disabled!, everything!, taker!];
    const searches = await Promise.all(owners.map((owner) => createSavedSearch(db.pool, { userId: owner.id, siteUrl: 'http://shop.example', q: 'sofa' })));
    const sofa = await listing(seller.id, 'Green sofa');
    const now = new Date();
    expect(await queueAlerts(db.pool, key, [{ listing: sofa, committedAtMs: now.getTime(), savedSearchIds: searches.map((search) => search.id) }], now)).toEqual({ matched: 5, emailed: 5 });
    const [events] = await db.pool.query<RowDataPacket[]>("SELECT aggregate_id FROM outbox WHERE type = 'search_alert.matched' AND aggregate_id IN (?)", [searches.map((search) => String(search.id))]);
    // As numbers: the searches were saved concurrently, so their ids need not follow the owners' order (and "10" sorts before "9" as text).
    const byNumber = (ids: number[]) => [...ids].sort((a, b) => a - b);
    expect(byNumber(events.map((row) => Number(row.aggregate_id)))).toEqual(byNumber([searches[3]!.id, searches[4]!.id]));
    for (const owner of owners) expect(await emails(owner.id)).toHaveLength(1);
  });

  it('leaves out the owner\'s own listing, a paused search, and listings from before the search was saved', async () => {
    const buyer = await person();
    const search = await createSavedSearch(db.pool, { userId: buyer.id, siteUrl: 'http://shop.example', q: 'tv' });
    const own = await listing(buyer.id, 'My TV');
    const seller = await person();
    const old = await listing(seller.id, 'Older TV');
    expect(await queueAlerts(db.pool, key, [
      { listing: own, committedAtMs: Date.now(), savedSearchIds: [search.id] },
      { listing: old, committedAtMs: Date.now() - 3_600_000, savedSearchIds: [search.id] },
    ])).toEqual({ matched: 0, emailed: 0 });
    await db.pool.query('UPDATE saved_searches SET alerts_enabled = 0 WHERE id = ?', [search.id]);
    const fresh = await listing(seller.id, 'New TV');
    expect(await queueAlerts(db.pool, key, [{ listing: fresh, committedAtMs: Date.now(), savedSearchIds: [search.id] }])).toEqual({ matched: 0, emailed: 0 });
    expect(await emails(buyer.id)).toEqual([]);
  });

  it('queues one digest per search and each match once when batches race (two consumers, or one redelivered after a kill)', async () => {
    const seller = await person();
    const buyers = await Promise.all(Array.from({ length: 6 }, () => subscriber()));
    const searches = await Promise.all(buyers.map((buyer) => createSavedSearch(db.pool, { userId: buyer.id, siteUrl: 'http://shop.example', q: 'lamp' })));
    const lamps = await Promise.all(Array.from({ length: 8 }, (_, i) => listing(seller.id, `Lamp ${i}`)));
    const ids = searches.map((search) => search.id);
    const now = new Date();
    // Overlapping batches, each naming the searches in another order; two of them repeat a listing.
    const batches = [lamps.slice(0, 4), lamps.slice(2, 6), lamps.slice(4, 8), lamps.slice(0, 8)].map((docs, b) =>
      docs.map((doc) => ({ listing: doc, committedAtMs: now.getTime(), savedSearchIds: b % 2 ? [...ids].reverse() : ids })));
    const outcomes = await Promise.all(batches.map((batch) => queueAlerts(db.pool, key, batch, now)));
    expect(outcomes.reduce((sum, o) => sum + o.matched, 0)).toBe(lamps.length * ids.length);
    expect(outcomes.reduce((sum, o) => sum + o.emailed, 0)).toBe(ids.length);
    const [[counts]] = await db.pool.query<RowDataPacket[]>(
      "SELECT (SELECT COUNT(*) FROM saved_search_matches WHERE saved_search_id IN (?)) AS matches, (SELECT COUNT(*) FROM outbox WHERE type = 'search_alert.matched' AND aggregate_id IN (?)) AS events",
      [ids, ids.map(String)],
    );
    expect({ matches: Number(counts!.matches), events: Number(counts!.events) }).toEqual({ matches: lamps.length * ids.length, events: lamps.length * ids.length });
    for (const buyer of buyers) expect(await emails(buyer.id)).toHaveLength(1);
    // Whatever the first digests missed waits for the next one: none is lost, none mailed twice.
    await flushDueDigests(db.pool, key, new Date(now.getTime() + DIGEST_INTERVAL_MS));
    for (const buyer of buyers) {
      const mailed = (await emails(buyer.id)).flatMap((digest) => digest.listings.map((l: { id: number }) => l.id));
      expect(mailed.sort((a: number, b: number) => a - b)).toEqual(lamps.map((lamp) => lamp.id).sort((a, b) => a - b));
    }
  });

  it('records only what is new when a batch it partly recorded is delivered again, with one event each', async () => {
    const seller = await person();
    const buyers = await Promise.all(Array.from({ length: 3 }, () => subscriber()));
    const searches = await Promise.all(buyers.map((buyer) => createSavedSearch(db.pool, { userId: buyer.id, siteUrl: 'http://shop.example', q: 'kettle' })));
    const kettles = await Promise.all(Array.from({ length: 4 }, (_, i) => listing(seller.id, `Kettle ${i}`)));
    const ids = searches.map((search) => search.id);
    const now = new Date();
    const batch = (docs: ListingDocument[]) => docs.map((doc) => ({ listing: doc, committedAtMs: now.getTime(), savedSearchIds: ids }));
    expect(await queueAlerts(db.pool, key, batch(kettles.slice(0, 2)), now)).toEqual({ matched: 6, emailed: 3 });
    // The consumer died before committing its offset; the next batch it reads starts over and goes further.
    const later = new Date(now.getTime() + 1_000);
    expect(await queueAlerts(db.pool, key, batch(kettles), later)).toEqual({ matched: 6, emailed: 0 });
    expect(await queueAlerts(db.pool, key, batch(kettles), later)).toEqual({ matched: 0, emailed: 0 });
    const [rows] = await db.pool.query<RowDataPacket[]>(
      `SELECT (SELECT COUNT(*) FROM saved_search_matches WHERE saved_search_id IN (?)) AS matches,
              (SELECT COUNT(*) FROM outbox WHERE type = 'search_alert.matched' AND aggregate_id IN (?)) AS events,
              (SELECT COUNT(DISTINCT aggregate_id, JSON_VALUE(payload, '$.listing_id')) FROM outbox WHERE type = 'search_alert.matched' AND aggregate_id IN (?)) AS distinct_events`,
      [ids, ids.map(String), ids.map(String)],
    );
    expect(Object.fromEntries(Object.entries(rows[0]!).map(([name, n]) => [name, Number(n)]))).toEqual({ matches: 12, events: 12, distinct_events: 12 });
  });

  it('never deadlocks when workers queue overlapping batches of the same searches in any order, some due and some not, beside the digest timer', async () => {
    const seller = await person();
    const buyers = await Promise.all(Array.from({ length: 12 }, () => subscriber()));
    const searches = await Promise.all(buyers.map((buyer) => createSavedSearch(db.pool, { userId: buyer.id, siteUrl: 'http://shop.example', q: 'chair' })));
    const ids = searches.map((search) => search.id);
    const now = new Date();
    // Every other search was mailed a moment ago; for some of those a match waits for the next digest.
    const mailed = ids.filter((_, i) => i % 2 === 1);
    await db.pool.query('UPDATE saved_searches SET last_emailed_at = ? WHERE id IN (?)', [new Date(now.getTime() - 60_000), mailed]);
    const chairs = await Promise.all(Array.from({ length: 24 }, (_, i) => listing(seller.id, `Chair ${i}`)));
    const waiting = chairs.slice(0, 4).map((doc) => ({ listing: doc, committedAtMs: now.getTime(), savedSearchIds: mailed.slice(0, 3) }));
    expect((await queueAlerts(db.pool, key, waiting, now)).matched).toBe(12);
    await db.pool.query('UPDATE saved_searches SET last_emailed_at = ? WHERE id IN (?)', [new Date(now.getTime() - DIGEST_INTERVAL_MS - 1_000), mailed.slice(0, 2)]);

    // Eight batches as four workers would consume them twice: overlapping listings, the searches
    // named in another order each time, and clocks apart by seconds.
    const timings = noQueueTimings();
    const batches: ListingMatch[][] = Array.from({ length: 8 }, (_, b) => chairs.slice((b % 4) * 5, (b % 4) * 5 + 8).map((doc, i) => ({
      listing: doc, committedAtMs: now.getTime(), savedSearchIds: (b + i) % 2 ? [...ids].reverse() : [...ids.slice(b), ...ids.slice(0, b)],
    })));
    const [outcomes] = await Promise.all([
      Promise.all(batches.map((batch, b) => queueAlerts(db.pool, key, batch, new Date(now.getTime() + b * 1_000), timings))),
      flushDueDigests(db.pool, key, new Date(now.getTime() + 5_000)),
    ]);
    expect(timings.reruns).toBe(0);
    const listed = new Set(batches.flat().map((match) => match.listing.id)).size;
    const newMatches = listed * ids.length - 4 * 3;
    expect(outcomes.reduce((sum, o) => sum + o.matched, 0)).toBe(newMatches);
    const [[counts]] = await db.pool.query<RowDataPacket[]>(
      "SELECT (SELECT COUNT(*) FROM saved_search_matches WHERE saved_search_id IN (?)) AS matches, (SELECT COUNT(*) FROM outbox WHERE type = 'search_alert.matched' AND aggregate_id IN (?)) AS events",
      [ids, ids.map(String)],
    );
    expect({ matches: Number(counts!.matches), events: Number(counts!.events) }).toEqual({ matches: listed * ids.length, events: listed * ids.length });
    // One digest for each search that was due, none for those mailed a minute before.
    for (const [i, buyer] of buyers.entries()) expect(await emails(buyer.id)).toHaveLength(mailed.slice(2).includes(ids[i]!) ? 0 : 1);
  });
});
