// The listing checks' rules: pure functions from a listing and the facts gathered about it to the
// rules it trips, each with its action, a reason a moderator reads, and the values compared.
import type { ListingAction, ListingChecksConfig } from '../../../core/config/checks.js';
import type { Listing } from '../../../marketplace/domain/listings.js';
import type { CheckedVersion } from '../../../marketplace/moderation/listing-checks.js';
import { bannedWordsIn } from './listing-text.js';

export const LISTING_RULES = ['price_below_median', 'seller_burst', 'duplicate_text', 'banned_words'] as const;
export type ListingRule = (typeof LISTING_RULES)[number];

/** A listing as the rules read it: who sells it, and the fields a check compares. */
export type CheckedListing = Pick<Listing, 'id' | 'seller_id'> & CheckedVersion;

export interface ListingFacts {
  /** The median price of the listing's category in its country and currency, over `samples` listings; absent when unknown. */
  median?: { priceAmount: number; samples: number };
  /** Listings the seller created within the burst window, this one included. */
  sellerRecentListings?: number;
  /** Listings of other sellers with the same normalised text within the window. */
  sameTextListings?: { id: number; seller_id: number }[];
}

export interface Finding {
  rule: ListingRule;
  action: ListingAction;
  reason: string;
  values: Record<string, unknown>;
}

const TEXT_FIELDS = ['name', 'description'];
const PRICE_FIELDS = ['price_amount', 'price_currency', 'category', 'country'];

/**
 * The rules an event calls for: all of them for a new listing (or one just made active); for an
 * edit, those that read what changed. An unrelated edit of a listing a moderator cleared does not
 * raise the same finding again; a new listing is what a burst counts, so edits never do.
 */
export function rulesFor(type: 'listing.created' | 'listing.updated', changedFields: readonly string[]): ListingRule[] {
  if (type === 'listing.created' || changedFields.includes('status')) return [...LISTING_RULES];
  const rules: ListingRule[] = [];
  if (changedFields.some((field) => PRICE_FIELDS.includes(field))) rules.push('price_below_median');
  if (changedFields.some((field) => TEXT_FIELDS.includes(field))) rules.push('duplicate_text', 'banned_words');
  return rules;
}

const money = (amount: number, currency: string) => `${(amount / 100).toFixed(2)} ${currency.toUpperCase()}`;

export function checkListing(listing: CheckedListing, facts: ListingFacts, config: ListingChecksConfig, rules: readonly ListingRule[] = LISTING_RULES): Finding[] {
  const findings: Finding[] = [];
  const price = config.priceBelowMedian;
  const median = facts.median;
  // A free listing (price 0) is a giveaway, not a suspicious price; too few samples make no median.
  if (rules.includes('price_below_median') && median && median.samples >= price.minSamples && listing.price_amount > 0
    && listing.price_amount < median.priceAmount * price.ratio) {
    findings.push({
      rule: 'price_below_median', action: price.action,
      reason: `price ${money(listing.price_amount, listing.price_currency)} is below ${Math.round(price.ratio * 100)}% of the median ${money(median.priceAmount, listing.price_currency)} for ${listing.category} in ${listing.country}`,
      values: { price_amount: listing.price_amount, median_amount: median.priceAmount, samples: median.samples, ratio: price.ratio, category: listing.category, country: listing.country, currency: listing.price_currency },
    });
  }
  const burst = config.sellerBurst;
  if (rules.includes('seller_burst') && facts.sellerRecentListings !== undefined && facts.sellerRecentListings > burst.max) {
    const minutes = Math.round(burst.windowMs / 60_000);
    findings.push({
      rule: 'seller_burst', action: burst.action,
      reason: `the seller created ${facts.sellerRecentListings} listings in ${minutes} minutes (more than ${burst.max})`,
      values: { listings: facts.sellerRecentListings, max: burst.max, window_minutes: minutes },
    });
  }
  const same = facts.sameTextListings?.filter((other) => other.seller_id !== listing.seller_id) ?? [];
  if (rules.includes('duplicate_text') && same.length > 0) {
    const sellers = [...new Set(same.map((other) => other.seller_id))];
    findings.push({
      rule: 'duplicate_text', action: config.duplicateText.action,
      reason: `the same text is listed by ${sellers.length} other seller${sellers.length === 1 ? '' : 's'} (listing ${same.slice(0, 5).map((other) => other.id).join(', ')})`,
      values: { listing_ids: same.slice(0, 20).map((other) => other.id), seller_ids: sellers.slice(0, 20) },
    });
  }
  const banned = config.bannedWords;
  if (rules.includes('banned_words') && banned.words.length > 0) {
    const found = bannedWordsIn(`${listing.name} ${listing.description}`, banned.words);
    if (found.length > 0) {
      findings.push({ rule: 'banned_words', action: banned.action, reason: `banned words: ${found.map((word) => `"${word}"`).join(', ')}`, values: { words: found } });
    }
  }
  return findings;
}

/** The median of a list of prices (the lower middle one for an even count: a real price). */
export function medianOf(prices: number[]): number {
  const sorted = [...prices].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}
