// A listing's shape on the platform, written once: the JSON schema the public API serialises
// listings through (so a column added to the table never leaks by accident), the columns read for
// it, and the TypeScript types the domain, the queries and the routes use, derived from the schema.
// The client library keeps its own copy (client/types.ts): it is a package of its own.

export const LISTING_STATUSES = ['draft', 'active', 'pending_review', 'sold', 'removed'] as const;
export type ListingStatus = (typeof LISTING_STATUSES)[number];

/** The statuses a seller may give a listing when writing it (sold and removed come from orders and removal). */
export const WRITABLE_LISTING_STATUSES = ['active', 'draft'] as const;

const id = { type: 'integer' } as const;
const time = { type: 'string', format: 'date-time' } as const;
/** Degrees (WGS 84) of the listing's city, from the gazetteer; null when it does not know the city. */
const coordinate = { type: ['number', 'null'] } as const;

/** A listing as stored and as the public API returns it. */
export const listingSchema = {
  type: 'object',
  properties: {
    id, seller_id: id, name: { type: 'string' }, description: { type: 'string' }, category: { type: 'string' },
    country: { type: 'string' }, city: { type: 'string' }, latitude: coordinate, longitude: coordinate, price_amount: { type: 'integer' }, price_currency: { type: 'string' },
    status: { type: 'string', enum: LISTING_STATUSES }, created_at: time, updated_at: time,
  },
} as const;

/** The type of one property of the (small) schema language used here. */
type PropertyType<P> =
  P extends { enum: readonly (infer E)[] } ? E
    : P extends { type: readonly ['number', 'null'] } ? number | null
    : P extends { type: 'integer' | 'number' } ? number
      : P extends { type: 'string' } ? string
        : never;

/** A listing as stored, with the column names of the table and of the public API. */
export type Listing = { -readonly [K in keyof typeof listingSchema.properties]: PropertyType<(typeof listingSchema.properties)[K]> };

/** The columns of a listing, in the schema's order (what queries select). */
export const LISTING_COLUMNS = Object.keys(listingSchema.properties) as (keyof Listing)[];

/** The fields a seller writes. */
export type ListingFields = Pick<Listing, 'name' | 'description' | 'category' | 'country' | 'city' | 'price_amount' | 'price_currency'>;

/** What a seller sends to create a listing: its fields, and active (the default) or draft. */
export type ListingInput = ListingFields & { status?: (typeof WRITABLE_LISTING_STATUSES)[number] };
