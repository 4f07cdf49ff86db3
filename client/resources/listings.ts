import type { HttpClient, RequestOptions } from '../http.js';
import { paginate } from '../pagination.js';
import type { CreateListingParams, Id, ListListingsParams, Listing, MyListingsParams, Page, UpdateListingParams } from '../types.js';
import { segment } from './path.js';

export class ListingsResource {
  readonly #http: HttpClient;

  constructor(http: HttpClient) {
    this.#http = http;
  }

  create(params: CreateListingParams, options?: RequestOptions): Promise<Listing> {
    return this.#http.request({ ...options, method: 'POST', path: '/v1/listings', body: params });
  }

  /** Active and sold listings are anyone's to read; drafts and removed ones only their seller's (others get NotFoundError). */
  get(id: Id, options?: RequestOptions): Promise<Listing> {
    return this.#http.request({ ...options, method: 'GET', path: `/v1/listings/${segment(id)}` });
  }

  /** Seller only (else PermissionError); a sold or removed listing is a ConflictError. */
  update(id: Id, params: UpdateListingParams, options?: RequestOptions): Promise<Listing> {
    return this.#http.request({ ...options, method: 'PATCH', path: `/v1/listings/${segment(id)}`, body: params });
  }

  /** Takes the listing off the marketplace. Seller only. */
  async remove(id: Id, options?: RequestOptions): Promise<void> {
    await this.#http.request({ ...options, method: 'DELETE', path: `/v1/listings/${segment(id)}` });
  }

  /** One page of active listings, newest first; needs no credential. */
  list(params: ListListingsParams = {}, options?: RequestOptions): Promise<Page<Listing>> {
    return this.#http.request({ ...options, method: 'GET', path: '/v1/listings', query: { ...params } });
  }

  /** One page of the caller's own listings, any status unless `status` says. */
  mine(params: MyListingsParams = {}, options?: RequestOptions): Promise<Page<Listing>> {
    return this.#http.request({ ...options, method: 'GET', path: '/v1/me/listings', query: { ...params } });
  }

  /** Every active listing matching the filters; `limit` is the page size. */
  iterate(params: Omit<ListListingsParams, 'cursor'> = {}, options?: RequestOptions): AsyncGenerator<Listing, void, undefined> {
    return paginate((cursor) => this.list({ ...params, cursor }, options));
  }

  /** Every listing of the caller's; `limit` is the page size. */
  iterateMine(params: Omit<MyListingsParams, 'cursor'> = {}, options?: RequestOptions): AsyncGenerator<Listing, void, undefined> {
    return paginate((cursor) => this.mine({ ...params, cursor }, options));
  }
}
