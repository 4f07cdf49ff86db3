// A fixed corpus for judging search relevance: listings generated from the sample vocabulary with
// a fixed seed, each remembered with the catalogue item it is about, so a judgment is a rule
// ("relevant = the listing is one of these items, in this city") rather than hand-picked ids.
import { sampleListing } from '../../../../marketplace/sample-data/generate.js';
import { Random } from '../../../../marketplace/sample-data/random.js';
import { CATEGORIES } from '../../../../marketplace/sample-data/vocabulary.js';
import type { ListingDocument } from '../port.js';

export interface JudgedCorpus {
  docs: ListingDocument[];
  /** The catalogue item each listing (by id) sells, as the vocabulary writes it. */
  itemOf: Map<number, string>;
}

const ITEMS = Object.values(CATEGORIES).flatMap((category) => category.items).sort((a, b) => b.length - a.length);

/** The vocabulary item a generated name starts with (the longest, so "LG OLED TV" is not "LG"). */
function itemIn(name: string): string {
  const item = ITEMS.find((candidate) => name.startsWith(candidate));
  if (!item) throw new Error(`no catalogue item in the generated name "${name}"`);
  return item;
}

export function judgedCorpus(size = 5_000, seed = 25): JudgedCorpus {
  const rng = new Random(seed);
  const start = Date.UTC(2026, 0, 1);
  const docs: ListingDocument[] = [];
  const itemOf = new Map<number, string>();
  for (let id = 1; id <= size; id++) {
    const listing = sampleListing(rng, { id: 1 + (id % 400) }, new Date(start + id * 60_000));
    itemOf.set(id, itemIn(listing.name));
    docs.push({
      id, seller_id: listing.sellerId, seller_name: null, name: listing.name, description: listing.description,
      category: listing.category, country: listing.country, city: listing.city, latitude: null, longitude: null,
      price_amount: listing.priceAmount, price_currency: listing.priceCurrency, status: 'active',
      created_at: listing.createdAt!.toISOString().replace('Z', '000Z'), updated_at: listing.createdAt!.toISOString().replace('Z', '000Z'),
    });
  }
  return { docs, itemOf };
}
