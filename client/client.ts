// The client: one credential, one base URL, and the API's resources as namespaces.
import { HttpClient, type Credential, type Fetch, type HttpOptions, type RequestOptions } from './http.js';
import { AccountsResource } from './resources/accounts.js';
import { ApiKeysResource } from './resources/api-keys.js';
import { ComplaintsResource } from './resources/complaints.js';
import { ListingsResource } from './resources/listings.js';
import { MessagesResource } from './resources/messages.js';
import { OrdersResource } from './resources/orders.js';
import { PhoneResource } from './resources/phone.js';
import { WebhookEndpointsResource } from './resources/webhook-endpoints.js';
import { DEFAULT_RETRY_POLICY } from './retry.js';
import type { FormOptions, Place, PlaceSuggestParams, SearchParams, SearchResult } from './types.js';

export interface ClientOptions {
  /** `slk_...`, sent as X-Steveslist-API-Key. Give this or `token`, not both. */
  apiKey?: string;
  /** `sls_...` session token, sent as Authorization: Bearer. */
  token?: string;
  /** Default http://localhost:3000. */
  baseUrl?: string;
  /** Default the global fetch; pass one to add a proxy agent or instrumentation. */
  fetch?: Fetch;
  /** Retries after the first attempt for 429, 503 and (reads and deletes only) lost connections. Default 3. */
  maxRetries?: number;
  /** Per attempt, body included. Default 30 000. */
  timeoutMs?: number;
  /** The first backoff's ceiling, doubled each retry, with full jitter. Default 500. */
  retryBaseMs?: number;
  /** The ceiling of one backoff. Default 8 000. */
  maxRetryDelayMs?: number;
  /** The longest Retry-After the client waits for. Default 60. */
  maxRetryAfterSeconds?: number;
}

export const DEFAULT_BASE_URL = 'http://localhost:3000';

export class Steveslist {
  readonly accounts: AccountsResource;
  readonly apiKeys: ApiKeysResource;
  readonly listings: ListingsResource;
  readonly orders: OrdersResource;
  readonly messages: MessagesResource;
  readonly complaints: ComplaintsResource;
  readonly webhookEndpoints: WebhookEndpointsResource;
  readonly phone: PhoneResource;
  // Private fields, so neither console.log(client) nor JSON.stringify shows the credential.
  readonly #options: ClientOptions;
  readonly #http: HttpClient;

  constructor(options: ClientOptions = {}) {
    this.#options = { ...options };
    this.#http = new HttpClient(httpOptions(options));
    this.accounts = new AccountsResource(this.#http);
    this.apiKeys = new ApiKeysResource(this.#http);
    this.listings = new ListingsResource(this.#http);
    this.orders = new OrdersResource(this.#http);
    this.messages = new MessagesResource(this.#http);
    this.complaints = new ComplaintsResource(this.#http);
    this.webhookEndpoints = new WebhookEndpointsResource(this.#http);
    this.phone = new PhoneResource(this.#http);
  }

  get baseUrl(): string {
    return this.#http.baseUrl;
  }

  /** A client with the same settings that sends this session token instead of any other credential. */
  withToken(token: string): Steveslist {
    return new Steveslist({ ...this.#options, apiKey: undefined, token });
  }

  /** A client with the same settings that sends this API key instead of any other credential. */
  withApiKey(apiKey: string): Steveslist {
    return new Steveslist({ ...this.#options, token: undefined, apiKey });
  }

  /** Full-text search over active listings; needs no credential. */
  search(params: SearchParams = {}, options?: RequestOptions): Promise<SearchResult> {
    return this.#http.request({ ...options, method: 'GET', path: '/v1/search', query: { ...params } });
  }

  /** Cities whose name starts with `prefix`, the most populous first, for a "near" box; needs no credential. */
  async suggestPlaces(params: PlaceSuggestParams, options?: RequestOptions): Promise<Place[]> {
    const answer = await this.#http.request<{ places: Place[] }>({ ...options, method: 'GET', path: '/v1/places', query: { ...params } });
    return answer.places;
  }

  /** The categories, currencies and countries a listing form offers; needs no credential. */
  formOptions(options?: RequestOptions): Promise<FormOptions> {
    return this.#http.request({ ...options, method: 'GET', path: '/v1/form-options' });
  }
}

function requireSecret(name: string, value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') throw new TypeError(`${name}: must be a non-empty string`);
  return value;
}

function httpOptions(options: ClientOptions): HttpOptions {
  if (options.apiKey !== undefined && options.token !== undefined) {
    throw new TypeError('apiKey and token: give one; to switch a client to a session, use client.withToken(token)');
  }
  let credential: Credential | undefined;
  if (options.apiKey !== undefined) credential = { kind: 'api_key', value: requireSecret('apiKey', options.apiKey) };
  if (options.token !== undefined) credential = { kind: 'session', value: requireSecret('token', options.token) };

  const baseUrl = options.baseUrl ?? DEFAULT_BASE_URL;
  let parsed: URL;
  try {
    parsed = new URL(baseUrl);
  } catch {
    throw new TypeError(`baseUrl: ${JSON.stringify(baseUrl)} is not an absolute URL; e.g. ${DEFAULT_BASE_URL}`);
  }
  // fetch refuses such URLs with an error that quotes them, password included.
  if (parsed.username !== '' || parsed.password !== '') throw new TypeError('baseUrl: must not contain user:password; pass apiKey or token instead');

  const fetch = options.fetch ?? globalThis.fetch?.bind(globalThis);
  if (typeof fetch !== 'function') throw new TypeError('fetch: no global fetch here (Node 18+ and browsers have one); pass options.fetch');

  const count = (name: string, value: number | undefined, fallback: number) => {
    if (value === undefined) return fallback;
    if (!Number.isFinite(value) || value < 0) throw new TypeError(`${name}: must be a number ≥ 0, got ${value}`);
    return value;
  };
  return {
    baseUrl,
    fetch,
    credential,
    timeoutMs: count('timeoutMs', options.timeoutMs, 30_000),
    retry: {
      maxRetries: Math.floor(count('maxRetries', options.maxRetries, DEFAULT_RETRY_POLICY.maxRetries)),
      baseMs: count('retryBaseMs', options.retryBaseMs, DEFAULT_RETRY_POLICY.baseMs),
      maxDelayMs: count('maxRetryDelayMs', options.maxRetryDelayMs, DEFAULT_RETRY_POLICY.maxDelayMs),
      maxRetryAfterMs: count('maxRetryAfterSeconds', options.maxRetryAfterSeconds, DEFAULT_RETRY_POLICY.maxRetryAfterMs / 1000) * 1000,
    },
  };
}
