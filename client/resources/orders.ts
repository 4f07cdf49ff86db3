import type { HttpClient, RequestOptions } from '../http.js';
import { paginate } from '../pagination.js';
import type { Id, ListOrdersParams, Order, Page } from '../types.js';
import { segment } from './path.js';

export class OrdersResource {
  readonly #http: HttpClient;

  constructor(http: HttpClient) {
    this.#http = http;
  }

  /**
   * Buys the listing. Already sold, or your own, is a ConflictError. Never retried after a lost
   * connection: the order may have been placed; check `list({ role: 'buyer' })` before trying again.
   */
  place(listingId: Id, options?: RequestOptions): Promise<Order> {
    return this.#http.request({ ...options, method: 'POST', path: `/v1/listings/${segment(listingId)}/orders` });
  }

  /** Buyer or seller only; anyone else gets NotFoundError. */
  get(id: Id, options?: RequestOptions): Promise<Order> {
    return this.#http.request({ ...options, method: 'GET', path: `/v1/orders/${segment(id)}` });
  }

  list(params: ListOrdersParams = {}, options?: RequestOptions): Promise<Page<Order>> {
    return this.#http.request({ ...options, method: 'GET', path: '/v1/orders', query: { ...params } });
  }

  iterate(params: Omit<ListOrdersParams, 'cursor'> = {}, options?: RequestOptions): AsyncGenerator<Order, void, undefined> {
    return paginate((cursor) => this.list({ ...params, cursor }, options));
  }
}
