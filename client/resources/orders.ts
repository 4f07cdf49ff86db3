import type { HttpClient, RequestOptions } from '../http.js';
import { paginate } from '../pagination.js';
import type { Id, ListOrdersParams, Order, OrderPayment, Page } from '../types.js';
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

  /**
   * The payment of your order awaiting payment, with its client secret; created with the provider
   * if buying could not (a 502 there). Safe to repeat.
   */
  pay(id: Id, options?: RequestOptions): Promise<OrderPayment> {
    return this.#http.request({ ...options, method: 'POST', path: `/v1/orders/${segment(id)}/payment` });
  }

  /** How an order's payment stands, for its buyer or seller (no client secret). */
  payment(id: Id, options?: RequestOptions): Promise<OrderPayment> {
    return this.#http.request({ ...options, method: 'GET', path: `/v1/orders/${segment(id)}/payment` });
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
