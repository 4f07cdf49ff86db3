// Pure generators of plausible users, listings and messages from a seeded Random.
import type { NewListing } from '../domain/listings.js';
import type { NewUser } from '../domain/users.js';
import type { Random } from './random.js';
import {
  CATEGORIES, CONDITIONS, COUNTRIES, COUNTRY_WEIGHTS, DETAILS, FIRST_NAMES, LAST_NAMES, MESSAGE_TEXTS, REASONS, TERMS,
  type Country,
} from './vocabulary.js';

const CATEGORY_WEIGHTS = Object.fromEntries(Object.entries(CATEGORIES).map(([name, c]) => [name, c.weight]));

function pickCountry(rng: Random): Country {
  const code = rng.weighted(COUNTRY_WEIGHTS);
  return COUNTRIES.find((c) => c.code === code)!;
}

/** Lower-case ASCII for e-mail local parts: "Łukasz" -> "lukasz", "O'Brien" -> "obrien". */
function asciiSlug(text: string): string {
  return text.replace(/Ł/g, 'L').replace(/ł/g, 'l').replace(/ø/g, 'o').replace(/Ø/g, 'O')
    .normalize('NFD').replace(/[^A-Za-z0-9]/g, '').toLowerCase() || 'user';
}

export interface SampleUser extends NewUser {
  createdAt: Date;
}

/** User number `n` (unique per database, so e-mails never collide). */
export function sampleUser(rng: Random, n: number | string, passwordHash: string, createdAt: Date): SampleUser {
  const first = rng.pick(FIRST_NAMES);
  const last = rng.pick(LAST_NAMES);
  const country = pickCountry(rng);
  return {
    email: `${asciiSlug(first)}.${asciiSlug(last)}.${n}@example.com`,
    name: `${first} ${last}`,
    country: country.code,
    city: rng.pick(country.cities),
    passwordHash,
    createdAt,
  };
}

export interface SampleListing extends NewListing {
  createdAt: Date;
}

export function samplePrice(rng: Random, category: string): number {
  const [min, max] = CATEGORIES[category]!.price;
  const major = rng.logUniform(min, max);
  // People ask round prices: to the nearest 5 below 100, the nearest 10 or 50 above.
  const step = major < 100 ? 5 : major < 1000 ? 10 : 50;
  return Math.max(step, Math.round(major / step) * step) * 100;
}

export function sampleListing(rng: Random, seller: { id: number; country?: string | null; city?: string | null }, createdAt: Date): SampleListing {
  const category = rng.weighted(CATEGORY_WEIGHTS);
  const item = rng.pick(CATEGORIES[category]!.items);
  const condition = rng.pick(CONDITIONS);
  // Most sellers list where they live; some list elsewhere (a holiday home, a relative's place).
  const home = COUNTRIES.find((c) => c.code === seller.country);
  const country = home && rng.chance(0.9) ? home : pickCountry(rng);
  const city = country === home && seller.city && rng.chance(0.8) ? seller.city : rng.pick(country.cities);
  const sentences = [
    `Selling my ${item} because ${rng.pick(REASONS)}.`,
    `${condition[0]!.toUpperCase()}${condition.slice(1)}. ${rng.pick(DETAILS)}`,
    rng.chance(0.6) ? rng.pick(DETAILS) : '',
    `Pick up in ${city}. ${rng.pick(TERMS)}`,
  ].filter(Boolean);
  return {
    sellerId: seller.id,
    name: rng.chance(0.45) ? `${item} - ${condition}` : item,
    description: sentences.join(' '),
    category,
    country: country.code,
    city,
    priceAmount: samplePrice(rng, category),
    priceCurrency: country.currency,
    createdAt,
  };
}

export function sampleMessageText(rng: Random): string {
  return rng.pick(MESSAGE_TEXTS);
}

/** A time between `from` and `to`, for back-dating seeded rows over the past year. */
export function sampleTime(rng: Random, from: Date, to: Date): Date {
  return new Date(from.getTime() + rng.next() * Math.max(0, to.getTime() - from.getTime()));
}
