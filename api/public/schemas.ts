// JSON schemas shared by the public routes. Responses are serialised through them, so a column
// added to a table never leaks into the API by accident.
import { WRITABLE_LISTING_STATUSES } from '../../marketplace/domain/listing-shape.js';

const id = { type: 'integer' } as const;
const nullableId = { type: ['integer', 'null'] } as const;
const time = { type: 'string', format: 'date-time' } as const;
const nullableTime = { type: ['string', 'null'], format: 'date-time' } as const;
const nullableString = { type: ['string', 'null'] } as const;

/** Text with at least one non-blank character. */
const text = (maxLength: number) => ({ type: 'string', minLength: 1, maxLength, pattern: '\\S' }) as const;

export const fields = {
  email: { type: 'string', minLength: 3, maxLength: 254, format: 'email' },
  password: { type: 'string', minLength: 8, maxLength: 200 },
  personName: text(100),
  country: { type: 'string', pattern: '^[A-Z]{2}$', description: 'ISO 3166 alpha-2, upper case' },
  city: text(100),
  listingName: text(200),
  description: { type: 'string', maxLength: 10_000 },
  category: { type: 'string', minLength: 1, maxLength: 50, pattern: '^[a-z0-9][a-z0-9_-]*$', description: 'lower case, e.g. electronics' },
  priceAmount: { type: 'integer', minimum: 0, maximum: 1_000_000_000_000, description: 'minor units (cents)' },
  priceCurrency: { type: 'string', pattern: '^[a-z]{3}$', description: 'ISO 4217, lower case, e.g. usd' },
  listingStatus: { type: 'string', enum: WRITABLE_LISTING_STATUSES },
  messageBody: text(5000),
} as const;

export const user = {
  type: 'object',
  properties: { id, email: { type: 'string' }, name: { type: 'string' }, country: nullableString, city: nullableString, status: { type: 'string' }, created_at: time },
} as const;

/** One source with the domain's Listing type: see marketplace/domain/listing-shape.ts. */
export { listingSchema as listing } from '../../marketplace/domain/listing-shape.js';

export const order = {
  type: 'object',
  properties: {
    id, listing_id: id, buyer_id: id, seller_id: id, amount: { type: 'integer' }, currency: { type: 'string' },
    status: { type: 'string' }, created_at: time,
    listing_name: nullableString, buyer_name: nullableString, seller_name: nullableString,
  },
} as const;

export const message = {
  type: 'object',
  properties: { id, listing_id: nullableId, sender_id: id, recipient_id: id, body: { type: 'string' }, created_at: time, read_at: nullableTime },
} as const;

export const complaint = {
  type: 'object',
  properties: {
    id, reporter_id: id, listing_id: nullableId, reported_user_id: nullableId, reason: { type: 'string' },
    details: nullableString, status: { type: 'string' }, created_at: time,
  },
} as const;

export const apiKey = {
  type: 'object',
  properties: { id, name: { type: 'string' }, prefix: { type: 'string' }, key: { type: 'string' }, created_at: time, last_used_at: nullableTime, revoked_at: nullableTime },
} as const;

export const idParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER } },
} as const;

export const error = {
  type: 'object',
  properties: { error: { type: 'string' }, message: { type: 'string' }, field: { type: 'string' } },
} as const;
