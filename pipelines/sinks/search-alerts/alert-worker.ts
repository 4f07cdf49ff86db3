// The search-alerts worker: a consumer group on the listings topic (and on saved_searches, to keep
// the percolator current) that matches each new or changed active listing against every saved
// search and queues the alerts (alert-queue.ts); a timer sends the digests whose 15 minutes are up.
import { PoisonMessage } from '../../../core/errors.js';
import type { Logger } from '../../../core/log.js';
import type { RoleReporter } from '../../../core/role-health.js';
import { unsubscribeLinkKey } from '../../../marketplace/domain/saved-searches.js';
import type { Pool, RowDataPacket } from '../../../marketplace/mysql/connection.js';
import type { Bus, BusMessage } from '../../bus/port.js';
import type { ChangeEnvelope, Row } from '../../cdc/envelope.js';
import { tableTopic } from '../../cdc/topics.js';
import { ConsumerRunner } from '../../consumers/runner.js';
import { parseMessage } from '../../consumers/parse-message.js';
import { PollLoop } from '../outbound/poll-loop.js';
import { listingChange, newestPerListing, toDocument, type ListingChange } from '../search/listing-changes.js';
import { flushDueDigests, noQueueTimings, queueAlerts, type ListingMatch, type QueueTimings } from './alert-queue.js';
import { CoalescedWrites } from '../../consumers/coalesced-writes.js';
import type { Percolator } from './percolator.js';
import { toSavedSearch } from './saved-search.js';

export const SEARCH_ALERTS_GROUP = 'search-alerts';
const LOAD_PAGE = 5_000;
/** A consumed batch's most listings; merged batches stay within it (their statements' size, ~10 matches each). */
const MAX_LISTINGS_PER_TRANSACTION = 1000;
/** Listings whose words the percolator learns at start: the newest, active ones. */
const KNOWN_WORDS_LISTINGS = 100_000;

export interface SearchAlertsOptions {
  bus: Bus;
  pool: Pool;
  percolator: Percolator;
  database: string;
  topicPrefix: string;
  log: Logger;
  /** How often due digests are looked for (default 30 s). */
  digestPollMs?: number;
  health?: RoleReporter;
  digestHealth?: RoleReporter;
  /** Told, after each commit, which listings' alerts were just queued (the bench times commit-to-queued with it). */
  onQueued?: (listingIds: number[]) => void;
  /** Told which listings a consumed batch holds, as it starts (the bench splits the delay with it). */
  onReceived?: (listingIds: number[]) => void;
}

/** Where a consumed batch of listing changes spends its time (cumulative; the bench profiles with it). */
export interface SearchAlertStages {
  batches: number;
  listings: number;
  /** Parsing the change events and keeping each listing's newest. */
  parseMs: number;
  /** Matching against the saved searches. */
  matchMs: number;
  /** Queueing: waiting for the transaction before, then the one that records matches, events and due digests. */
  queueMs: number;
  /** Those transactions, step by step (one may hold the batches of several partitions). */
  queue: QueueTimings;
  /** The slowest single batch, start to commit. */
  maxBatchMs: number;
}

const noStages = (): SearchAlertStages => ({ batches: 0, listings: 0, parseMs: 0, matchMs: 0, queueMs: 0, queue: noQueueTimings(), maxBatchMs: 0 });

/** The columns that decide what a saved search matches. */
const MATCHING_COLUMNS = ['q', 'country', 'city', 'category', 'min_price', 'max_price', 'latitude', 'longitude', 'within_km', 'alerts_enabled', 'user_id'] as const;

function changesMatching(before: Row, after: Row): boolean {
  return MATCHING_COLUMNS.some((column) => String(before[column] ?? '') !== String(after[column] ?? ''));
}

const parse = (message: BusMessage) => parseMessage<ChangeEnvelope>(message, 'a change event');

/** Fills the percolator with every saved search whose alerts are on (the in-memory one starts empty). */
export async function loadSavedSearches(pool: Pool, percolator: Percolator, log?: Logger): Promise<number> {
  let afterId = 0;
  let loaded = 0;
  for (;;) {
    const [rows] = await pool.query<RowDataPacket[]>(
      'SELECT id, user_id, q, country, city, category, min_price, max_price, latitude, longitude, within_km FROM saved_searches WHERE alerts_enabled = 1 AND id > ? ORDER BY id LIMIT ?', [afterId, LOAD_PAGE],
    );
    if (rows.length === 0) break;
    await percolator.upsert(rows.map(toSavedSearch));
    loaded += rows.length;
    afterId = Number(rows.at(-1)!.id);
    if (loaded % 50_000 < LOAD_PAGE) log?.info({ loaded }, 'saved searches loaded into the percolator');
  }
  return loaded;
}

/**
 * Teaches the percolator the words of the newest active listings (at most `limit`), so that after
 * a restart a saved word the listings use is not taken for a typo of another, as search would not.
 */
export async function learnListingWords(pool: Pool, percolator: Percolator, limit = KNOWN_WORDS_LISTINGS): Promise<number> {
  if (!percolator.learn) return 0;
  let beforeId = Number.MAX_SAFE_INTEGER;
  let learned = 0;
  while (learned < limit) {
    const [rows] = await pool.query<RowDataPacket[]>(
      "SELECT id, name, description, category, city FROM listings WHERE status = 'active' AND id < ? ORDER BY id DESC LIMIT ?", [beforeId, Math.min(LOAD_PAGE, limit - learned)],
    );
    if (rows.length === 0) break;
    percolator.learn(rows.map((row) => ({ name: String(row.name), description: String(row.description ?? ''), category: String(row.category), city: String(row.city) })));
    learned += rows.length;
    beforeId = Number(rows.at(-1)!.id);
  }
  return learned;
}

export class SearchAlertsWorker {
  private readonly runner: ConsumerRunner;
  private readonly digests: PollLoop;
  private readonly queueing: CoalescedWrites<ListingMatch>;
  private linkKey = '';
  private timings: SearchAlertStages = noStages();

  constructor(private readonly options: SearchAlertsOptions) {
    const listingsTopic = tableTopic(options.topicPrefix, options.database, 'listings');
    const searchesTopic = tableTopic(options.topicPrefix, options.database, 'saved_searches');
    const log = options.log.child({ role: 'search-alerts' });
    this.runner = new ConsumerRunner({
      bus: options.bus, group: SEARCH_ALERTS_GROUP, topics: [listingsTopic, searchesTopic], topicPrefix: options.topicPrefix,
      handler: (messages) => (messages[0]?.topic === searchesTopic ? this.savedSearchesChanged(messages) : this.listingsChanged(messages)),
      log, maxBatchSize: MAX_LISTINGS_PER_TRANSACTION, health: options.health,
    });
    this.queueing = new CoalescedWrites((matches) => queueAlerts(options.pool, this.linkKey, matches, new Date(), this.timings.queue), MAX_LISTINGS_PER_TRANSACTION);
    this.digests = new PollLoop(async () => flushDueDigests(options.pool, this.linkKey), options.digestPollMs ?? 30_000,
      (error) => log.error({ err: error }, 'queueing due alert digests failed'), options.digestHealth);
  }

  async start(): Promise<void> {
    this.linkKey = await unsubscribeLinkKey(this.options.pool);
    const filled = await this.fill(this.options.percolator);
    this.options.percolator.refillWith?.(async (percolator) => {
      const again = await this.fill(percolator);
      this.options.log.info(again, 'search alerts: percolator filled again after its thread stopped');
    });
    this.options.log.info({ ...filled, percolator: this.options.percolator.kind }, 'search alerts: percolator ready');
    await this.runner.start();
    this.digests.start();
  }

  /**
   * The saved searches with alerts on, and the words of the newest listings: what an empty
   * percolator needs. Words earlier runs learned and kept are taken back instead of read again.
   */
  private async fill(percolator: Percolator): Promise<{ savedSearches: number; listingsLearned: number; wordsKept?: number }> {
    const savedSearches = await loadSavedSearches(this.options.pool, percolator, this.options.log);
    const wordsKept = await percolator.restoreWords?.();
    if (wordsKept !== undefined) return { savedSearches, listingsLearned: 0, wordsKept };
    return { savedSearches, listingsLearned: await learnListingWords(this.options.pool, percolator) };
  }

  stages(): SearchAlertStages {
    return { ...this.timings, queue: { ...this.timings.queue } };
  }

  /** Starts the stages' counts again (the bench times one stretch of load at a time). */
  resetStages(): void {
    this.timings = noStages();
  }

  async stop(): Promise<void> {
    await this.digests.stop();
    await this.runner.stop();
  }

  private async savedSearchesChanged(messages: BusMessage[]): Promise<void> {
    for (const message of messages) {
      const envelope = parse(message);
      const row = envelope.after;
      if (envelope.op === 't') continue;
      if (envelope.op === 'd' || !row || !Number(row.alerts_enabled)) {
        const id = Number((row ?? envelope.before)?.id);
        if (Number.isSafeInteger(id)) await this.options.percolator.remove([id]);
        continue;
      }
      // Every digest sent stamps last_emailed_at: such a change leaves what the search matches alone,
      // and re-filing the search would only throw away the percolator's caches.
      if (envelope.op === 'u' && envelope.before && !changesMatching(envelope.before, row)) continue;
      await this.options.percolator.upsert([toSavedSearch(row)]);
    }
  }

  private async listingsChanged(messages: BusMessage[]): Promise<void> {
    const started = performance.now();
    try {
      await this.matchAndQueue(messages, started);
    } finally {
      const ms = performance.now() - started;
      this.timings.batches++;
      this.timings.listings += messages.length;
      if (ms > this.timings.maxBatchMs) this.timings.maxBatchMs = ms;
    }
  }

  private async matchAndQueue(messages: BusMessage[], started: number): Promise<void> {
    let changes: { change: ListingChange; committedAtMs: number }[];
    try {
      const envelopes = messages.map(parse);
      // Snapshot reads are listings that were there already, not new ones.
      const live = envelopes.filter((envelope) => envelope.op === 'c' || envelope.op === 'u');
      const committed = new Map<ListingChange, number>();
      const all = live.map((envelope) => {
        const change = listingChange(envelope);
        committed.set(change, envelope.source?.ts_ms ?? envelope.ts_ms);
        return change;
      });
      changes = newestPerListing(all).map((change) => ({ change, committedAtMs: committed.get(change)! }));
    } catch (error) {
      throw error instanceof PoisonMessage ? error : new PoisonMessage((error as Error).message);
    }
    this.options.onReceived?.(changes.flatMap(({ change }) => (change.kind === 'truncate' ? [] : [change.id])));
    const parsed = performance.now();
    this.timings.parseMs += parsed - started;
    const upserts = changes.filter((c): c is { change: Extract<ListingChange, { kind: 'upsert' }>; committedAtMs: number } => c.change.kind === 'upsert');
    if (upserts.length === 0) return;
    const documents = upserts.map(({ change }) => toDocument(change.row, null));
    const found = await this.options.percolator.match(documents);
    const matchedAt = performance.now();
    this.timings.matchMs += matchedAt - parsed;
    if (found.size === 0) return;
    const matches: ListingMatch[] = upserts.flatMap(({ change, committedAtMs }, i) => {
      const ids = found.get(change.id);
      return ids ? [{ listing: documents[i]!, committedAtMs, savedSearchIds: ids }] : [];
    });
    await this.queueing.add(matches);
    this.timings.queueMs += performance.now() - matchedAt;
    this.options.onQueued?.(matches.map((match) => match.listing.id));
  }
}
