// The listing checks' and spam checks' rules as data: each rule's thresholds and what it does
// when tripped, read from the settings (README, "Listing and spam checks").
import type { SettingsReader } from './settings-reader.js';

/** What a listing rule does: `hold` takes the listing out of search until a moderator decides; `flag` leaves it live and queues it. */
export type ListingAction = 'hold' | 'flag';
/** What a spam rule does to the account. */
export type SpamAction = 'flag' | 'rate_limit' | 'suspend';

export interface ListingChecksConfig {
  /** A price below `ratio` × the median of its category, country and currency trips the rule. */
  priceBelowMedian: { action: ListingAction; ratio: number; minSamples: number };
  /** How often the medians are recomputed, and from how many of the newest listings (a bounded query). */
  medians: { refreshMs: number; sampleListings: number };
  /** More than `max` new listings by one seller within `windowMs`. */
  sellerBurst: { action: ListingAction; max: number; windowMs: number };
  /** The same normalised name and description listed by another seller within `windowMs`. */
  duplicateText: { action: ListingAction; windowMs: number };
  /** Any of these words or phrases in the name or description (case and accents ignored); empty: the rule is off. */
  bannedWords: { action: ListingAction; words: string[] };
}

export interface SpamChecksConfig {
  /** A sign-up with an email address at a disposable-mail domain. */
  disposableEmail: { action: SpamAction };
  /** More than `max` sign-ups from one client address within `windowMs`. */
  signupBurst: { action: SpamAction; max: number; windowMs: number };
  /** A link in a message from an account younger than `newAccountMs`. */
  linksFromNewAccounts: { action: SpamAction; newAccountMs: number };
  /** The same text sent to more than `maxRecipients` recipients within `windowMs`. */
  sameText: { action: SpamAction; maxRecipients: number; windowMs: number };
  /** What `rate_limit` means: at most `perHour` messages an hour, for `durationMs`. */
  rateLimit: { perHour: number; durationMs: number };
}

export interface ChecksConfig {
  listings: ListingChecksConfig;
  spam: SpamChecksConfig;
}

const LISTING_ACTIONS = ['hold', 'flag'] as const;
const SPAM_ACTIONS = ['flag', 'rate_limit', 'suspend'] as const;
const MINUTE = 60_000;

/** A ratio given in percent (whole numbers read well in a setting). */
function ratio(r: SettingsReader, name: string, fallbackPercent: number): number {
  return r.integer(name, fallbackPercent, 1, 99) / 100;
}

/** `none` turns the rule off (an empty setting means the default list, as for every setting). */
function bannedWords(r: SettingsReader): string[] {
  const words = r.list('CHECKS_BANNED_WORDS', ['replica', 'counterfeit', 'western union', 'moneygram', 'wire transfer only']).map((word) => word.toLowerCase());
  return words.length === 1 && words[0] === 'none' ? [] : words;
}

export function readChecks(r: SettingsReader): ChecksConfig {
  return {
    listings: {
      priceBelowMedian: {
        action: r.oneOf('CHECKS_PRICE_ACTION', LISTING_ACTIONS, 'hold'),
        ratio: ratio(r, 'CHECKS_PRICE_BELOW_MEDIAN_PERCENT', 10),
        minSamples: r.integer('CHECKS_PRICE_MIN_SAMPLES', 20, 1, 1_000_000),
      },
      medians: {
        refreshMs: r.integer('CHECKS_MEDIANS_REFRESH_SECONDS', 600, 1, 86_400) * 1000,
        sampleListings: r.integer('CHECKS_MEDIANS_SAMPLE_LISTINGS', 200_000, 100, 10_000_000),
      },
      sellerBurst: {
        action: r.oneOf('CHECKS_BURST_ACTION', LISTING_ACTIONS, 'flag'),
        max: r.integer('CHECKS_BURST_MAX_LISTINGS', 10, 1, 100_000),
        windowMs: r.integer('CHECKS_BURST_MINUTES', 10, 1, 10_080) * MINUTE,
      },
      duplicateText: {
        action: r.oneOf('CHECKS_DUPLICATE_TEXT_ACTION', LISTING_ACTIONS, 'hold'),
        windowMs: r.integer('CHECKS_DUPLICATE_TEXT_DAYS', 30, 1, 3650) * 24 * 60 * MINUTE,
      },
      bannedWords: {
        action: r.oneOf('CHECKS_BANNED_WORDS_ACTION', LISTING_ACTIONS, 'hold'),
        words: bannedWords(r),
      },
    },
    spam: {
      disposableEmail: { action: r.oneOf('SPAM_DISPOSABLE_EMAIL_ACTION', SPAM_ACTIONS, 'flag') },
      signupBurst: {
        action: r.oneOf('SPAM_SIGNUP_BURST_ACTION', SPAM_ACTIONS, 'flag'),
        max: r.integer('SPAM_SIGNUP_BURST_MAX', 5, 1, 100_000),
        windowMs: r.integer('SPAM_SIGNUP_BURST_MINUTES', 60, 1, 10_080) * MINUTE,
      },
      linksFromNewAccounts: {
        action: r.oneOf('SPAM_LINKS_ACTION', SPAM_ACTIONS, 'rate_limit'),
        newAccountMs: r.integer('SPAM_NEW_ACCOUNT_HOURS', 24, 1, 8760) * 60 * MINUTE,
      },
      sameText: {
        action: r.oneOf('SPAM_SAME_TEXT_ACTION', SPAM_ACTIONS, 'suspend'),
        maxRecipients: r.integer('SPAM_SAME_TEXT_MAX_RECIPIENTS', 5, 1, 100_000),
        windowMs: r.integer('SPAM_SAME_TEXT_MINUTES', 60, 1, 10_080) * MINUTE,
      },
      rateLimit: {
        perHour: r.integer('SPAM_RATE_LIMIT_PER_HOUR', 5, 0, 100_000),
        durationMs: r.integer('SPAM_RATE_LIMIT_HOURS', 24, 1, 8760) * 60 * MINUTE,
      },
    },
  };
}
