import { describe, expect, it } from 'vitest';
import { readChecks } from '../../../core/config/checks.js';
import { SettingsReader } from '../../../core/config/settings-reader.js';
import { bannedWordsIn, listingTextHash } from './listing-text.js';
import { checkListing, medianOf, rulesFor, type CheckedListing } from './rules.js';

const settings = (env: Record<string, string> = {}) => {
  const r = new SettingsReader(env, '/');
  const config = readChecks(r);
  r.finish();
  return config.listings;
};
const config = settings();
const listing: CheckedListing = {
  id: 7, seller_id: 1, name: 'Road bike', description: 'Aluminium frame, 21 gears', category: 'bikes', country: 'DE', price_amount: 30_000, price_currency: 'eur',
};
const rules = (found: { rule: string }[]) => found.map((finding) => finding.rule);

describe('the price rule', () => {
  const median = { priceAmount: 40_000, samples: 50 };
  it('trips on a price below 10% of the median, with the values it compared', () => {
    const [finding] = checkListing({ ...listing, price_amount: 3_500 }, { median }, config);
    expect(finding).toMatchObject({ rule: 'price_below_median', action: 'hold', values: { price_amount: 3_500, median_amount: 40_000, samples: 50, ratio: 0.1 } });
    expect(finding!.reason).toBe('price 35.00 EUR is below 10% of the median 400.00 EUR for bikes in DE');
  });
  it('does not trip on a price near the median, a free listing, or a median of too few listings', () => {
    expect(checkListing(listing, { median }, config)).toEqual([]);
    expect(checkListing({ ...listing, price_amount: 0 }, { median }, config)).toEqual([]);
    expect(checkListing({ ...listing, price_amount: 3_500 }, { median: { priceAmount: 40_000, samples: 19 } }, config)).toEqual([]);
    expect(checkListing({ ...listing, price_amount: 4_000 }, { median }, config)).toEqual([]);
  });
  it('takes its ratio and action from the settings', () => {
    const strict = settings({ CHECKS_PRICE_BELOW_MEDIAN_PERCENT: '80', CHECKS_PRICE_ACTION: 'flag' });
    expect(checkListing(listing, { median }, strict)).toMatchObject([{ rule: 'price_below_median', action: 'flag' }]);
  });
});

describe('the seller burst rule', () => {
  it('trips on more than 10 new listings in the window', () => {
    expect(checkListing(listing, { sellerRecentListings: 11 }, config)).toMatchObject([{ rule: 'seller_burst', action: 'flag', values: { listings: 11, max: 10, window_minutes: 10 } }]);
  });
  it('does not trip at the limit', () => {
    expect(checkListing(listing, { sellerRecentListings: 10 }, config)).toEqual([]);
  });
});

describe('the duplicate text rule', () => {
  it('trips on the same text by another seller', () => {
    const [finding] = checkListing(listing, { sameTextListings: [{ id: 3, seller_id: 2 }] }, config);
    expect(finding).toMatchObject({ rule: 'duplicate_text', action: 'hold', values: { listing_ids: [3], seller_ids: [2] } });
  });
  it("does not trip on the seller's own listings", () => {
    expect(checkListing(listing, { sameTextListings: [{ id: 3, seller_id: 1 }] }, config)).toEqual([]);
  });
  it('compares text without case, accents, punctuation or spacing', () => {
    expect(listingTextHash('Café table — like NEW!', 'Oak,  solid')).toBe(listingTextHash('cafe table like new', 'oak solid'));
    expect(listingTextHash('Cafe table', 'oak')).not.toBe(listingTextHash('Cafe tables', 'oak'));
  });
});

describe('the banned words rule', () => {
  it('trips on a banned word or phrase, whole words only', () => {
    expect(checkListing({ ...listing, description: 'Pay by Western-Union please' }, {}, config)).toMatchObject([{ rule: 'banned_words', action: 'hold', values: { words: ['western union'] } }]);
    expect(bannedWordsIn('A REPLICA watch', ['replica'])).toEqual(['replica']);
  });
  it('does not trip on a word that only contains a banned one, or when the list is none', () => {
    expect(bannedWordsIn('replicated storage', ['replica'])).toEqual([]);
    expect(checkListing({ ...listing, name: 'replica' }, {}, settings({ CHECKS_BANNED_WORDS: 'none' }))).toEqual([]);
    expect(checkListing({ ...listing, name: 'scam kit' }, {}, settings({ CHECKS_BANNED_WORDS: 'scam, fake' }))).toMatchObject([{ values: { words: ['scam'] } }]);
  });
});

describe('which rules an event calls for', () => {
  it('runs every rule on a new listing and on one made active', () => {
    expect(rulesFor('listing.created', [])).toEqual(['price_below_median', 'seller_burst', 'duplicate_text', 'banned_words']);
    expect(rulesFor('listing.updated', ['status'])).toHaveLength(4);
  });
  it('runs on an edit only the rules that read what changed', () => {
    expect(rulesFor('listing.updated', ['price_amount'])).toEqual(['price_below_median']);
    expect(rulesFor('listing.updated', ['description'])).toEqual(['duplicate_text', 'banned_words']);
    expect(rulesFor('listing.updated', ['city'])).toEqual([]);
  });
  it('skips the rules not asked for', () => {
    expect(rules(checkListing({ ...listing, price_amount: 1 }, { median: { priceAmount: 40_000, samples: 50 }, sellerRecentListings: 99 }, config, ['seller_burst']))).toEqual(['seller_burst']);
  });
});

describe('medianOf', () => {
  it('is the middle price, the lower one of an even count', () => {
    expect(medianOf([5, 1, 3])).toBe(3);
    expect(medianOf([4, 1, 3, 2])).toBe(2);
  });
});

describe('the settings', () => {
  it('refuse an action a rule does not have, naming the setting', () => {
    const r = new SettingsReader({ CHECKS_BURST_ACTION: 'suspend' }, '/');
    readChecks(r);
    expect(() => r.finish()).toThrow(/CHECKS_BURST_ACTION: expected one of hold, flag, got "suspend"/);
  });
});
