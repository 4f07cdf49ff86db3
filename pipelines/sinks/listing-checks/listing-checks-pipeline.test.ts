// Listing checks end to end: MariaDB -> change capture -> bus -> listing-checks worker -> hold or
// flag, with the search indexer beside it; the false positive's path through the admin API: a held
// listing is out of search, a moderator clears it, and it is found again (public search API).
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAdminServer } from '../../../api/admin/server.js';
import { buildPublicServer } from '../../../api/public/server.js';
import { readChecks } from '../../../core/config/checks.js';
import { SettingsReader } from '../../../core/config/settings-reader.js';
import { silentLogger } from '../../../core/log.js';
import { addAdminUser } from '../../../marketplace/auth/admin-accounts.js';
import { signUp } from '../../../marketplace/auth/user-accounts.js';
import { createListing, updateListing, type NewListing } from '../../../marketplace/domain/listings.js';
import { recordListingDecision } from '../../../marketplace/moderation/listing-checks.js';
import type { RowDataPacket } from '../../../marketplace/mysql/connection.js';
import { readTopic, startTestReader, type TestReader } from '../../../test/fixtures/cdc.js';
import { createTestDatabase, type TestDatabase } from '../../../test/fixtures/database.js';
import { until } from '../../../test/fixtures/eventually.js';
import { httpClient } from '../../../test/fixtures/http-client.js';
import { tempDir } from '../../../test/fixtures/temp-dir.js';
import type { ConsumerRunner } from '../../consumers/runner.js';
import { EmbeddedSearch } from '../search/embedded/index.js';
import { startSearchIndexer } from '../search/indexer.js';
import { ListingChecksWorker } from './listing-checks-worker.js';

const dir = tempDir();
const PASSWORD = 'correct horse battery staple';
let db: TestDatabase;
let cdc: TestReader;
let search: EmbeddedSearch;
let indexer: ConsumerRunner;
let worker: ListingChecksWorker;
let publicApi: FastifyInstance;
let admin: FastifyInstance;
let web: ReturnType<typeof httpClient>;
let staff: ReturnType<typeof httpClient>;
let moderator: string;
let supporter: string;
const sellers: { id: number; token: string }[] = [];
const decided = new Map<number, { rules: string[]; held: boolean }>();
/** What the worker told the supervisor: /health, /admin/pipeline and /metrics show the group from it. */
const deadLetters: string[] = [];
const health = { failed: () => 10, succeeded: () => undefined, deadLettered: (_count: number, error: unknown) => { deadLetters.push((error as Error).message); } };

const config = readChecks(new SettingsReader({ CHECKS_BURST_MAX_LISTINGS: '5', CHECKS_PRICE_MIN_SAMPLES: '5' }, '/')).listings;

beforeAll(async () => {
  db = await createTestDatabase('checks');
  cdc = await startTestReader(db.url, join(dir.path, 'cdc'));
  search = new EmbeddedSearch(join(dir.path, 'search'));
  await search.ensureIndex();
  indexer = startSearchIndexer({ bus: cdc.bus, search, pool: db.pool, database: db.name, topicPrefix: 'sl', log: silentLogger() });
  await indexer.start();
  worker = new ListingChecksWorker({
    bus: cdc.bus, pool: db.pool, topicPrefix: 'sl', log: silentLogger(), config,
    onDecision: (listingId, rules, held) => decided.set(listingId, { rules, held }), health,
  });
  await worker.start();
  for (const n of [1, 2, 3]) {
    const { user, token } = await signUp(db.pool, { email: `seller${n}@example.com`, password: `password-${n}-long`, name: `Seller ${n}`, country: 'DE', city: 'Berlin' });
    sellers.push({ id: user.id, token });
  }
  publicApi = await buildPublicServer({ pool: db.pool, log: silentLogger(), search, rateLimit: { perMinute: 100_000, authPerMinute: 100_000 } });
  web = httpClient(await publicApi.listen({ host: '127.0.0.1', port: 0 }));
  await addAdminUser(db.pool, 'mo', PASSWORD, { role: 'moderator' });
  await addAdminUser(db.pool, 'sue', PASSWORD, { role: 'support' });
  admin = await buildAdminServer({ pool: db.pool, log: silentLogger() });
  staff = httpClient(await admin.listen({ host: '127.0.0.1', port: 0 }));
  moderator = (await staff('POST', '/admin/session', { body: { username: 'mo', password: PASSWORD } })).body.token;
  supporter = (await staff('POST', '/admin/session', { body: { username: 'sue', password: PASSWORD } })).body.token;
});
afterAll(async () => {
  await admin?.close();
  await publicApi?.close();
  await worker?.stop();
  await indexer?.stop();
  await search?.close();
  await cdc?.stop();
  await db?.close();
});

let made = 0;
const listing = (sellerId: number, fields: Partial<NewListing> = {}): NewListing => ({
  sellerId, name: `Desk lamp ${++made}`, description: `Brass desk lamp number ${made}, works.`, category: 'furniture', country: 'DE', city: 'Berlin',
  priceAmount: 4_000, priceCurrency: 'eur', ...fields,
});

async function searchIds(q: string): Promise<number[]> {
  const response = await web('GET', `/v1/search?q=${encodeURIComponent(q)}`);
  expect(response.status).toBe(200);
  return (response.body.hits as { id: number }[]).map((hit) => hit.id);
}
const status = async (id: number) => {
  const [rows] = await db.pool.query<RowDataPacket[]>('SELECT status FROM listings WHERE id = ?', [id]);
  return rows[0]?.status as string;
};
const checks = async (id: number) => {
  const [rows] = await db.pool.query<RowDataPacket[]>('SELECT rule, action, reason, rule_values, status, cleared_by, clear_reason FROM listing_checks WHERE listing_id = ? ORDER BY id', [id]);
  return rows;
};
const events = async (id: number, type: string) => {
  const [rows] = await db.pool.query<RowDataPacket[]>('SELECT payload FROM outbox WHERE aggregate_type = ? AND aggregate_id = ? AND type = ?', ['listing', String(id), type]);
  return rows.map((row) => (typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload) as Record<string, unknown>);
};
/** A seller of their own, so the listings a test makes count towards no other test's burst. */
let quiet = 0;
async function quietSeller(): Promise<number> {
  const { user } = await signUp(db.pool, { email: `quiet${++quiet}@example.com`, password: `password-quiet-${quiet}`, name: `Quiet ${quiet}`, country: 'DE', city: 'Berlin' });
  return user.id;
}
const decision = (id: number) => until(() => decided.get(id), (found) => found !== undefined);

describe('listing checks on the bus', () => {
  it('holds a listing with a banned word: out of search, not for sale, under review for its seller, with the reason and listing.flagged', async () => {
    const seller = sellers[0]!;
    const id = await createListing(db.pool, listing(seller.id, { name: 'Rolex replica watch', description: 'Looks like the real thing.' }));
    expect(await decision(id)).toEqual({ rules: ['banned_words'], held: true });
    expect(await status(id)).toBe('pending_review');
    expect(await checks(id)).toMatchObject([{ rule: 'banned_words', action: 'hold', reason: 'banned words: "replica"', status: 'open', cleared_by: null }]);
    expect(await events(id, 'listing.flagged')).toEqual([{ id, seller_id: seller.id, name: 'Rolex replica watch', action: 'hold', status: 'pending_review', checks: [{ rule: 'banned_words', action: 'hold', reason: 'banned words: "replica"' }] }]);
    // The indexer saw it live for a moment at most: it leaves the index with the hold.
    expect(await until(() => searchIds('rolex'), (ids) => ids.length === 0)).toEqual([]);
    expect((await web('GET', `/v1/listings/${id}`)).status).toBe(404);
    const mine = await web('GET', '/v1/me/listings', { token: seller.token });
    expect(mine.body.data.find((l: { id: number }) => l.id === id)).toMatchObject({ status: 'pending_review' });
    expect((await web('POST', `/v1/listings/${id}/orders`, { token: sellers[1]!.token })).status).toBe(404);
    // The seller cannot put it back on sale by editing it.
    await expect(updateListing(db.pool, id, { status: 'active' })).rejects.toThrow(/under review/);
  });

  it('leaves a listing that trips no rule live and records nothing', async () => {
    const id = await createListing(db.pool, listing(sellers[1]!.id, { name: 'Walnut bookshelf', description: 'Solid walnut, five shelves.' }));
    expect(await until(() => searchIds('walnut'), (ids) => ids.length === 1)).toEqual([id]);
    // A later listing's decision shows the worker is past this one.
    const later = await createListing(db.pool, listing(sellers[1]!.id, { name: 'Counterfeit bag' }));
    await decision(later);
    expect(await checks(id)).toEqual([]);
    expect(await status(id)).toBe('active');
  });

  it('lets a moderator see why, clear it with a reason (audited, listing.cleared), and the listing is found again', async () => {
    const seller = sellers[0]!;
    const id = await createListing(db.pool, listing(seller.id, { name: 'Replica of a Bauhaus chair', description: 'A licensed reproduction, labelled as such.' }));
    await decision(id);
    expect(await until(() => searchIds('bauhaus'), (ids) => ids.length === 0)).toEqual([]);

    expect((await staff('GET', '/admin/listing-checks?action=hold', { token: supporter })).status).toBe(403);
    const queue = await staff('GET', '/admin/listing-checks?action=hold', { token: moderator });
    expect(queue.status).toBe(200);
    const entry = queue.body.data.find((l: { id: number }) => l.id === id);
    expect(entry).toMatchObject({ status: 'pending_review', seller_name: 'Seller 1', checks: [{ rule: 'banned_words', action: 'hold', reason: 'banned words: "replica"', status: 'open', values: { words: ['replica'] } }] });

    expect((await staff('POST', `/admin/listing-checks/${id}/clear`, { token: moderator, body: {} })).status).toBe(400);
    const cleared = await staff('POST', `/admin/listing-checks/${id}/clear`, { token: moderator, body: { reason: 'a licensed reproduction' } });
    expect(cleared.status).toBe(200);
    expect(cleared.body).toEqual({ id, status: 'active', previous_status: 'pending_review', cleared: 1 });
    expect(await status(id)).toBe('active');
    expect(await checks(id)).toMatchObject([{ status: 'cleared', cleared_by: 'mo', clear_reason: 'a licensed reproduction' }]);
    expect(await events(id, 'listing.cleared')).toMatchObject([{ id, status: 'active', previous_status: 'pending_review', rules: ['banned_words'], reason: 'a licensed reproduction' }]);
    const [audit] = await db.pool.query<RowDataPacket[]>("SELECT admin_username, reason FROM admin_audit WHERE action = 'listing.clear' AND target_id = ?", [id]);
    expect(audit).toMatchObject([{ admin_username: 'mo', reason: 'a licensed reproduction' }]);
    expect(await until(() => searchIds('bauhaus'), (ids) => ids.length === 1)).toEqual([id]);
    // Nothing open any more: clearing again is refused, and it has left the queue.
    expect((await staff('POST', `/admin/listing-checks/${id}/clear`, { token: moderator, body: { reason: 'again' } })).status).toBe(409);
    const after = await staff('GET', '/admin/listing-checks', { token: moderator });
    expect(after.body.data.map((l: { id: number }) => l.id)).not.toContain(id);
  });

  it('decides a redelivered event once: a cleared listing is not held again', async () => {
    const [[row]] = await db.pool.query<RowDataPacket[]>(
      "SELECT o.id AS event_id, CAST(o.aggregate_id AS UNSIGNED) AS listing_id FROM outbox o JOIN listing_checks c ON c.event_id = o.id AND c.status = 'cleared' LIMIT 1");
    const again = await recordListingDecision(db.pool, String(row!.event_id), Number(row!.listing_id), sellers[0]!.id, [{ rule: 'banned_words', action: 'hold', reason: 'banned words: "replica"', values: {} }]);
    expect(again).toEqual({ recorded: 0, held: false });
    expect(await status(Number(row!.listing_id))).toBe('active');
  });

  it('keeps a cleared listing live through an edit that trips the same rule for the same reason, and holds it for a new one', async () => {
    const [[cleared]] = await db.pool.query<RowDataPacket[]>("SELECT listing_id FROM listing_checks WHERE status = 'cleared' LIMIT 1");
    const id = Number(cleared!.listing_id);
    await updateListing(db.pool, id, { description: 'A licensed reproduction, labelled as such. Oak seat.' });
    // A later listing's decision shows the worker is past the edit.
    const marker = await createListing(db.pool, listing(sellers[1]!.id, { name: 'Moneygram only sofa' }));
    await decision(marker);
    expect(await status(id)).toBe('active');
    await updateListing(db.pool, id, { description: 'A counterfeit after all.' });
    expect(await until(() => status(id), (s) => s === 'pending_review')).toBe('pending_review');
    expect((await checks(id)).map((check) => [check.status, check.reason])).toEqual([
      ['cleared', 'banned words: "replica"'], ['open', 'banned words: "replica", "counterfeit"'],
    ]);
  });

  it("keeps a moderator's clearing when a check of the same rule and reason was under way as it committed", async () => {
    const seller = await quietSeller();
    const id = await createListing(db.pool, listing(seller));
    const finding = { rule: 'banned_words', action: 'hold' as const, reason: 'banned words: "replica"', values: {} };
    expect((await recordListingDecision(db.pool, randomUUID(), id, seller, [finding])).held).toBe(true);
    expect((await staff('POST', `/admin/listing-checks/${id}/clear`, { token: moderator, body: { reason: 'a licensed reproduction' } })).status).toBe(200);
    // The worker checked an edit before the clearing committed and records its finding after it.
    expect(await recordListingDecision(db.pool, randomUUID(), id, seller, [finding])).toEqual({ recorded: 0, held: false });
    expect(await status(id)).toBe('active');
  });

  it('does not hold a listing for a version its seller has since edited; the edit is checked on its own', async () => {
    const seller = await quietSeller();
    const fields = listing(seller);
    const id = await createListing(db.pool, fields);
    const checkedVersion = { id, seller_id: seller, name: 'Replica watch', description: fields.description, category: fields.category, country: fields.country, price_amount: fields.priceAmount, price_currency: fields.priceCurrency };
    const finding = { rule: 'banned_words', action: 'hold' as const, reason: 'banned words: "replica"', values: {} };
    // Checked as it was; the seller's edit to the listing as it is now committed meanwhile.
    expect(await recordListingDecision(db.pool, randomUUID(), id, seller, [finding], checkedVersion)).toEqual({ recorded: 1, held: false });
    expect(await status(id)).toBe('active');
    const current = { ...checkedVersion, name: fields.name };
    expect((await recordListingDecision(db.pool, randomUUID(), id, seller, [{ ...finding, reason: 'banned words: "fake"' }], current)).held).toBe(true);
  });

  it('lets a moderator remove a held listing instead', async () => {
    const id = await createListing(db.pool, listing(sellers[2]!.id, { name: 'Gift cards', description: 'Payment by western union only.' }));
    await decision(id);
    const removed = await staff('POST', `/admin/listing-checks/${id}/remove`, { token: moderator, body: { reason: 'advance-fee scam' } });
    expect(removed.body).toEqual({ id, status: 'removed', previous_status: 'pending_review' });
    expect(await checks(id)).toMatchObject([{ status: 'removed', cleared_by: 'mo', clear_reason: 'advance-fee scam' }]);
    expect(await events(id, 'listing.removed')).toMatchObject([{ id, removed_by: 'admin', reason: 'advance-fee scam' }]);
  });

  it('holds a price far below the median of its category and country, not a fair one', async () => {
    const seller = sellers[1]!;
    for (const price of [20_000, 21_000, 22_000, 23_000, 24_000, 25_000]) await createListing(db.pool, listing(seller.id, { category: 'bikes', priceAmount: price, createdAt: new Date(Date.now() - 86_400_000) }));
    await worker.medians.refresh();
    expect(worker.medians.get('DE', 'bikes', 'eur')).toEqual({ priceAmount: 22_000, samples: 6 });
    const cheap = await createListing(db.pool, listing(sellers[2]!.id, { category: 'bikes', name: 'Racing bike', description: 'Carbon, barely used.', priceAmount: 1_500 }));
    const fair = await createListing(db.pool, listing(sellers[2]!.id, { category: 'bikes', name: 'Town bike', description: 'Three gears, basket.', priceAmount: 18_000 }));
    expect(await decision(cheap)).toEqual({ rules: ['price_below_median'], held: true });
    const [check] = await checks(cheap);
    expect(check).toMatchObject({ rule: 'price_below_median', action: 'hold', reason: 'price 15.00 EUR is below 10% of the median 220.00 EUR for bikes in DE' });
    const values = check!.rule_values as unknown;
    expect(typeof values === 'string' ? JSON.parse(values) : values).toMatchObject({ price_amount: 1_500, median_amount: 22_000, samples: 6 });
    expect(await status(fair)).toBe('active');
    expect(await checks(fair)).toEqual([]);
  });

  it('holds the same text listed by another seller, not the first seller nor the same seller again', async () => {
    const text = { name: 'Vintage Leica M3', description: 'Serviced in 2024; with its case.' };
    const first = await createListing(db.pool, listing(sellers[0]!.id, text));
    const again = await createListing(db.pool, listing(sellers[0]!.id, { ...text, name: 'vintage LEICA m3!' }));
    const copy = await createListing(db.pool, listing(sellers[2]!.id, text));
    expect(await decision(copy)).toEqual({ rules: ['duplicate_text'], held: true });
    expect(await checks(copy)).toMatchObject([{ rule: 'duplicate_text', reason: `the same text is listed by 1 other seller (listing ${again}, ${first})` }]);
    expect(await checks(first)).toEqual([]);
    expect(await checks(again)).toEqual([]);
  });

  it("flags a seller's burst of new listings and leaves them live, queued for moderators", async () => {
    const { user } = await signUp(db.pool, { email: 'burst@example.com', password: 'password-burst-long', name: 'Burst' });
    const ids: number[] = [];
    for (let i = 0; i < 6; i++) ids.push(await createListing(db.pool, listing(user.id, { name: `Garden chair ${i}`, description: `Chair ${i} of a set.` })));
    expect(await decision(ids[5]!)).toEqual({ rules: ['seller_burst'], held: false });
    expect(decided.has(ids[4]!)).toBe(false);
    expect(await status(ids[5]!)).toBe('active');
    expect(await events(ids[5]!, 'listing.flagged')).toMatchObject([{ action: 'flag', status: 'active' }]);
    const queue = await staff('GET', '/admin/listing-checks?action=flag', { token: moderator });
    expect(queue.body.data.map((l: { id: number }) => l.id)).toContain(ids[5]);
    expect(await until(() => searchIds('garden chair'), (found) => found.includes(ids[5]!))).toContain(ids[5]);
  });

  it('dead-letters an event it cannot read, tells the supervisor, and goes on', async () => {
    await cdc.bus.publish('sl.events.listing', [{ key: '999', value: 'not json' }]);
    expect(await until(() => deadLetters, (found) => found.length > 0)).toEqual([expect.stringContaining('not a domain event')]);
    expect((await readTopic(cdc.bus, 'sl.dlq.listing-checks')).length).toBe(1);
    const next = await createListing(db.pool, listing(sellers[1]!.id, { name: 'Replica lamp' }));
    expect(await decision(next)).toMatchObject({ rules: ['banned_words'] });
  });
});
