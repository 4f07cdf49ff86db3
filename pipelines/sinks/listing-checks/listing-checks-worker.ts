// The listing-checks worker: a consumer group on the listing events that runs the rules on each
// new or edited live listing (rules.ts), gathering what they compare (price medians, the seller's
// recent listings, the same text by other sellers), and records the decision: hold or flag.
import type { ListingChecksConfig } from '../../../core/config/checks.js';
import { PoisonMessage } from '../../../core/errors.js';
import type { Logger } from '../../../core/log.js';
import type { RoleReporter } from '../../../core/role-health.js';
import { notClearedBefore, recordListingDecision } from '../../../marketplace/moderation/listing-checks.js';
import type { Pool, RowDataPacket } from '../../../marketplace/mysql/connection.js';
import type { Bus, BusMessage } from '../../bus/port.js';
import type { DomainEventMessage } from '../../cdc/outbox-router.js';
import { eventsTopic } from '../../cdc/topics.js';
import { ConsumerRunner } from '../../consumers/runner.js';
import { parseMessage } from '../../consumers/parse-message.js';
import { listingTextHash } from './listing-text.js';
import type { MedianSource } from './median-source.js';
import { PriceMedians } from './price-medians.js';
import { checkListing, rulesFor, type CheckedListing, type ListingFacts, type ListingRule } from './rules.js';

export const LISTING_CHECKS_GROUP = 'listing-checks';

export interface ListingChecksOptions {
  bus: Bus;
  pool: Pool;
  topicPrefix: string;
  log: Logger;
  config: ListingChecksConfig;
  health?: RoleReporter;
  mediansHealth?: RoleReporter;
  /** The warehouse's price medians, when this process has a warehouse client; MySQL's otherwise and as the fallback. */
  warehouseMedians?: MedianSource;
  /** Told of each decision recorded (tests wait on it). */
  onDecision?: (listingId: number, rules: string[], held: boolean) => void;
}

const CHECKED_TYPES = new Set(['listing.created', 'listing.updated']);

/** The listing an event describes, or a poison message when the payload lacks what the rules read. */
export function checkedListing(payload: Record<string, unknown>): CheckedListing {
  const id = Number(payload.id);
  const sellerId = Number(payload.seller_id);
  if (!Number.isSafeInteger(id) || !Number.isSafeInteger(sellerId)) throw new PoisonMessage('a listing event without id or seller_id');
  return {
    id, seller_id: sellerId, name: String(payload.name ?? ''), description: String(payload.description ?? ''), category: String(payload.category ?? ''),
    country: String(payload.country ?? ''), price_amount: Number(payload.price_amount ?? 0), price_currency: String(payload.price_currency ?? ''),
  };
}

export class ListingChecksWorker {
  private readonly runner: ConsumerRunner;
  readonly medians: PriceMedians;
  private readonly log: Logger;

  constructor(private readonly options: ListingChecksOptions) {
    this.log = options.log.child({ role: LISTING_CHECKS_GROUP });
    this.medians = new PriceMedians(options.pool, { ...options.config.medians, log: this.log, health: options.mediansHealth, warehouse: options.warehouseMedians });
    this.runner = new ConsumerRunner({
      bus: options.bus, group: LISTING_CHECKS_GROUP, topics: [eventsTopic(options.topicPrefix, 'listing')], topicPrefix: options.topicPrefix,
      handler: (messages) => this.handle(messages), log: this.log, maxBatchSize: 200, health: options.health,
    });
  }

  async start(): Promise<void> {
    await this.medians.start();
    await this.runner.start();
  }

  async stop(): Promise<void> {
    await this.runner.stop();
    await this.medians.stop();
  }

  private async handle(messages: BusMessage[]): Promise<void> {
    const candidates: Candidate[] = [];
    for (const message of messages) {
      const event = parseMessage<DomainEventMessage>(message, 'a domain event');
      if (!CHECKED_TYPES.has(event.type)) continue;
      const payload = (event.payload ?? {}) as Record<string, unknown>;
      // Drafts are seen by their seller alone; they are checked when they go on sale.
      if (payload.status !== 'active') continue;
      const rules = rulesFor(event.type as 'listing.created' | 'listing.updated', Object.keys((payload.changed ?? {}) as object));
      if (rules.length === 0) continue;
      candidates.push({ eventId: event.id, listing: checkedListing(payload), rules });
    }
    if (candidates.length === 0) return;
    // The facts of a whole batch in a few statements: one write per listing was the bottleneck.
    const facts = await this.facts(candidates);
    for (const [i, { eventId, listing, rules }] of candidates.entries()) {
      // Skips a transaction when a clearing already covers them; the decision checks again under lock.
      const findings = await notClearedBefore(this.options.pool, listing.id, checkListing(listing, facts[i]!, this.options.config, rules));
      if (findings.length === 0) continue;
      const decision = await recordListingDecision(this.options.pool, eventId, listing.id, listing.seller_id, findings, listing);
      if (decision.recorded > 0) {
        this.log.info({ listing: listing.id, rules: findings.map((f) => f.rule), held: decision.held }, decision.held ? 'listing held for review' : 'listing flagged for review');
        this.options.onDecision?.(listing.id, findings.map((f) => f.rule), decision.held);
      }
    }
  }

  /** Each candidate's facts, in order. Counted from the tables, so a batch sees the listings before it whatever the order. */
  private async facts(candidates: Candidate[]): Promise<ListingFacts[]> {
    const { pool, config } = this.options;
    const facts: ListingFacts[] = candidates.map(({ listing, rules }) => (
      rules.includes('price_below_median') ? { median: this.medians.get(listing.country, listing.category, listing.price_currency) } : {}));
    const bursting = candidates.filter(({ rules }) => rules.includes('seller_burst'));
    if (bursting.length > 0) {
      const [rows] = await pool.query<RowDataPacket[]>(
        'SELECT seller_id, id FROM listings WHERE seller_id IN (?) AND created_at > UTC_TIMESTAMP(6) - INTERVAL ? SECOND',
        [[...new Set(bursting.map(({ listing }) => listing.seller_id))], Math.round(config.sellerBurst.windowMs / 1000)],
      );
      for (const [i, { listing, rules }] of candidates.entries()) {
        if (!rules.includes('seller_burst')) continue;
        facts[i]!.sellerRecentListings = rows.filter((row) => Number(row.seller_id) === listing.seller_id && Number(row.id) <= listing.id).length;
      }
    }
    const texts = candidates.flatMap(({ listing, rules }, i) => (rules.includes('duplicate_text') ? [{ i, listing, hash: listingTextHash(listing.name, listing.description) }] : []));
    if (texts.length > 0) {
      await pool.query(
        `INSERT INTO listing_text_hashes (listing_id, seller_id, text_hash) VALUES ?
         ON DUPLICATE KEY UPDATE checked_at = IF(text_hash = VALUES(text_hash), checked_at, UTC_TIMESTAMP(6)), text_hash = VALUES(text_hash)`,
        [texts.map(({ listing, hash }) => [listing.id, listing.seller_id, hash])],
      );
      const [rows] = await pool.query<RowDataPacket[]>(
        `SELECT h.text_hash, h.listing_id, h.seller_id FROM listing_text_hashes h JOIN listings l ON l.id = h.listing_id
         WHERE h.text_hash IN (?) AND h.checked_at > UTC_TIMESTAMP(6) - INTERVAL ? SECOND AND l.status <> 'removed'
         ORDER BY h.listing_id DESC LIMIT 10000`,
        [[...new Set(texts.map(({ hash }) => hash))], Math.round(config.duplicateText.windowMs / 1000)],
      );
      for (const { i, listing, hash } of texts) {
        // Earlier listings of other sellers only: the first seller of a text is not the copier.
        facts[i]!.sameTextListings = rows
          .filter((row) => row.text_hash === hash && Number(row.seller_id) !== listing.seller_id && Number(row.listing_id) < listing.id)
          .slice(0, 20).map((row) => ({ id: Number(row.listing_id), seller_id: Number(row.seller_id) }));
      }
    }
    return facts;
  }
}

interface Candidate {
  eventId: string;
  listing: CheckedListing;
  rules: ListingRule[];
}
