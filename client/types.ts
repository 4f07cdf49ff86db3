// The API's requests and answers as they travel: snake_case, times as ISO 8601 strings, money as
// integer minor units. The contract is the API's README; ids are integers, as the server sends them.

export type Id = number;
/** ISO 8601 in UTC, e.g. `2025-01-31T12:00:00.000Z`. */
export type Timestamp = string;

/** One page of a list endpoint; pass `next_cursor` back as `cursor`, `null` means the last page. */
export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

export interface PageParams {
  /** 1–100, default 20. */
  limit?: number;
  cursor?: string;
}

// ---- accounts

export type UserStatus = 'active' | 'suspended' | 'deleted';

export interface User {
  id: Id;
  email: string;
  name: string;
  country: string | null;
  city: string | null;
  status: UserStatus;
  created_at: Timestamp;
}

/** What one member sees of another: never the email. */
export interface Profile {
  id: Id;
  name: string;
  country: string | null;
  city: string | null;
  created_at: Timestamp;
}

export interface SignUpParams {
  email: string;
  /** 8–200 characters. */
  password: string;
  name: string;
  /** ISO 3166 alpha-2, upper case. */
  country?: string;
  city?: string;
}

export interface SessionToken {
  /** `sls_...`: send as `Authorization: Bearer`, e.g. via `client.withToken(token)`. */
  token: string;
  expires_in_s: number;
}

export interface SignUpResult {
  user: User;
  session: SessionToken;
}

export interface LogInParams {
  email: string;
  password: string;
}

export interface LogInResult extends SessionToken {
  user: User;
}

// ---- API keys

export interface ApiKey {
  id: Id;
  name: string;
  /** The key's first 12 characters, to tell keys apart. */
  prefix: string;
  created_at: Timestamp;
  last_used_at: Timestamp | null;
  revoked_at: Timestamp | null;
}

export interface CreateApiKeyParams {
  name: string;
}

export interface CreatedApiKey {
  id: Id;
  name: string;
  prefix: string;
  /** `slk_...`: shown only in this answer. */
  key: string;
  created_at: Timestamp;
}

// ---- listings

export type ListingStatus = 'draft' | 'active' | 'pending_review' | 'sold' | 'removed';

export interface Listing {
  id: Id;
  seller_id: Id;
  name: string;
  description: string;
  category: string;
  country: string;
  city: string;
  /** Degrees (WGS 84) of the city, from the platform's world-cities gazetteer; null when it does not know the city. */
  latitude: number | null;
  longitude: number | null;
  /** Minor units (cents). */
  price_amount: number;
  /** ISO 4217, lower case (`usd`). */
  price_currency: string;
  status: ListingStatus;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface CreateListingParams {
  name: string;
  description: string;
  /** Lower case, e.g. `electronics`. */
  category: string;
  /** ISO 3166 alpha-2, upper case (`US`). */
  country: string;
  city: string;
  /** Integer minor units (cents). */
  price_amount: number;
  /** ISO 4217, lower case (`usd`). */
  price_currency: string;
  /** Default `active`. */
  status?: 'active' | 'draft';
}

export type UpdateListingParams = Partial<CreateListingParams>;

export interface ListListingsParams extends PageParams {
  category?: string;
  country?: string;
  city?: string;
  seller_id?: Id;
}

export interface MyListingsParams extends PageParams {
  status?: ListingStatus;
}

// ---- orders

/** `pending_payment` and `payment_failed` only where the platform takes payments (Stripe). */
export type OrderStatus = 'pending_payment' | 'placed' | 'paid' | 'shipped' | 'completed' | 'payment_failed' | 'cancelled' | 'refunded';

/** An order's payment with the provider, where the platform takes payments. */
export interface OrderPayment {
  order_id: Id;
  provider: string;
  payment_intent_id: string | null;
  /** The provider's status (requires_payment_method, processing, succeeded, ...); null when not asked. */
  status: string | null;
  /** The buyer's only: confirm the payment with Stripe.js. Never store or log it. */
  client_secret: string | null;
  /** Why the last call to the provider, or the payment, failed. */
  error: string | null;
}

export interface Order {
  id: Id;
  listing_id: Id;
  buyer_id: Id;
  seller_id: Id;
  /** Minor units (cents). */
  amount: number;
  currency: string;
  status: OrderStatus;
  created_at: Timestamp;
  /** The listing's and the parties' names as they are now; null once deleted. */
  listing_name: string | null;
  buyer_name: string | null;
  seller_name: string | null;
  /** On a new order awaiting payment only: what the buyer's client confirms the payment with. */
  payment?: OrderPayment;
}

export interface ListOrdersParams extends PageParams {
  /** Default: both roles. */
  role?: 'buyer' | 'seller';
}

// ---- messages

export interface Message {
  id: Id;
  listing_id: Id | null;
  sender_id: Id;
  recipient_id: Id;
  body: string;
  created_at: Timestamp;
  read_at: Timestamp | null;
}

/** With only `listing_id`, the message goes to that listing's seller. */
export type SendMessageParams = { body: string } & ({ listing_id: Id; recipient_id?: Id } | { listing_id?: Id; recipient_id: Id });

export type ListMessagesParams = PageParams;

/** One conversation: the messages between you and one counterpart about one listing (or none). */
export interface MessageThread {
  listing_id: Id | null;
  listing_name: string | null;
  counterpart_id: Id;
  counterpart_name: string;
  last_message_id: Id;
  last_sender_id: Id;
  last_body: string;
  last_at: Timestamp;
  /** Messages to you in this thread not read yet. */
  unread: number;
}

export type ListThreadsParams = PageParams;

export interface ThreadParams {
  /** The other person's user id. */
  with: Id;
  /** Absent: the conversation about no listing. */
  listing_id?: Id;
}

// ---- complaints

export type ComplaintReason = 'spam' | 'fraud' | 'prohibited_item' | 'offensive' | 'other';
export type ComplaintStatus = 'open' | 'reviewing' | 'resolved' | 'dismissed';

export interface Complaint {
  id: Id;
  reporter_id: Id;
  listing_id: Id | null;
  reported_user_id: Id | null;
  reason: ComplaintReason;
  details: string | null;
  status: ComplaintStatus;
  created_at: Timestamp;
}

/** About a listing, a user, or both: at least one of `listing_id`, `user_id`. */
export type FileComplaintParams = { reason: ComplaintReason; details?: string } & ({ listing_id: Id; user_id?: Id } | { listing_id?: Id; user_id: Id });

// ---- search

/** `distance` (nearest first) needs `near`. */
export type SearchSort = 'relevance' | 'newest' | 'price_asc' | 'price_desc' | 'distance';

export interface SearchParams {
  q?: string;
  country?: string;
  city?: string;
  category?: string;
  /** Minor units (cents). */
  min_price?: number;
  max_price?: number;
  /**
   * Only listings whose city has coordinates, each hit with `distance_km` from this city: `Boston,US`
   * (any spelling of the name, a comma, the ISO country code), or a place id (`Place.id`).
   */
  near?: string | Id;
  /** With `near`: at most this many kilometres away, 1–20000. */
  within_km?: number;
  /** Default `relevance`. */
  sort?: SearchSort;
  /** From 1. */
  page?: number;
  /** 1–100, default 20. */
  per_page?: number;
}

export interface SearchHit {
  id: Id;
  name: string;
  description: string;
  category: string;
  country: string;
  city: string;
  price_amount: number;
  price_currency: string;
  seller_name: string | null;
  created_at: Timestamp;
  score: number;
  /** Kilometres from `near`; present only when the search had one. */
  distance_km?: number;
  /** Matched words wrapped in `<mark>…</mark>`, the rest HTML-escaped: safe to render as HTML. */
  highlight: { name?: string; description?: string };
}

export interface FacetCount {
  value: string;
  count: number;
}

export interface SearchResult {
  /** Matching listings: exact up to 10,000; past that 10,000, with `total_relation` 'gte'. */
  total: number;
  /** 'eq': `total` is exact; 'gte': at least `total` listings match (show "10,000+"). */
  total_relation: 'eq' | 'gte';
  page: number;
  per_page: number;
  hits: SearchHit[];
  facets: { category: FacetCount[]; city: FacetCount[]; country: FacetCount[] };
  /** The place `near` named; present only when the search had one. */
  near?: Place;
}

/** A city of the platform's world-cities gazetteer (GeoNames). */
export interface Place {
  id: Id;
  name: string;
  /** ISO 3166 alpha-2. */
  country: string;
  /** First-level division code (`MA`, `ENG`, `02`), or null. */
  region: string | null;
  latitude: number;
  longitude: number;
  /** The value of `near` that names this place (`Boston,US`). */
  near: string;
}

export interface PlaceSuggestParams {
  /** The start of any of the city's names, 2 characters at least; case and accents are ignored. */
  prefix: string;
  /** ISO 3166 alpha-2: only cities there. */
  country?: string;
  /** 1–50, default 10. */
  limit?: number;
}

// ---- form options

export interface Choice {
  value: string;
  label: string;
}

/** The categories, currencies and countries a listing form offers. */
export interface FormOptions {
  categories: Choice[];
  currencies: Choice[];
  /** Each with the currency listings there usually use. */
  countries: (Choice & { currency: string })[];
}

// ---- webhook endpoints

export type WebhookEventType =
  | 'user.signed_up' | 'user.suspended' | 'user.reinstated'
  | 'listing.created' | 'listing.updated' | 'listing.removed'
  | 'order.placed' | 'order.refunded' | 'message.received' | 'webhook.test';

export interface WebhookEndpoint {
  id: Id;
  url: string;
  description: string | null;
  /** Empty: every type. */
  event_types: WebhookEventType[];
  enabled: boolean;
  disabled_reason: string | null;
  failing_since: Timestamp | null;
  /** Until then the rotated-out secret signs beside the new one. */
  previous_secret_expires_at: Timestamp | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface WebhookEndpointWithSecret extends WebhookEndpoint {
  /** `whsec_...`: shown only in this answer. */
  secret: string;
}

export interface CreateWebhookEndpointParams {
  url: string;
  description?: string | null;
  event_types?: WebhookEventType[];
}

export interface UpdateWebhookEndpointParams {
  url?: string;
  description?: string | null;
  event_types?: WebhookEventType[];
  enabled?: boolean;
}

export type WebhookDeliveryStatus = 'pending' | 'sending' | 'succeeded' | 'retrying' | 'failed' | 'dead';

export interface WebhookDelivery {
  id: Id;
  endpoint_id: Id;
  /** The delivery's `webhook-id` is `msg_` + this. */
  event_id: string;
  event_type: string;
  status: WebhookDeliveryStatus;
  attempts: number;
  next_attempt_at: Timestamp | null;
  last_attempt_at: Timestamp | null;
  last_response_code: number | null;
  last_latency_ms: number | null;
  last_error: string | null;
  created_at: Timestamp;
}

export interface WebhookDeliveryAttempt {
  attempt: number;
  started_at: Timestamp;
  latency_ms: number;
  response_code: number | null;
  /** The first 500 characters of the answer. */
  response_body: string | null;
  error: string | null;
  succeeded: boolean;
}

export interface WebhookDeliveryWithAttempts extends WebhookDelivery {
  attempt_log: WebhookDeliveryAttempt[];
}

export interface ListWebhookDeliveriesParams extends PageParams {
  status?: WebhookDeliveryStatus;
}

/** The caller's phone number for SMS notifications. */
export interface Phone {
  /** E.164, e.g. +447700900123. */
  phone: string;
  /** Only a verified number is texted notifications. */
  verified: boolean;
  verified_at: Timestamp | null;
  /** Texted when buying or selling something. */
  sms_orders: boolean;
  /** Texted when someone writes. */
  sms_messages: boolean;
  /** A code was texted and can be typed back until then. */
  code_expires_at: Timestamp | null;
}

export interface PhonePreferences {
  sms_orders?: boolean;
  sms_messages?: boolean;
}
