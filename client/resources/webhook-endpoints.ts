// Webhook endpoints and their delivery log. The signing secret comes back from `create` and
// `rotateSecret` only: store it then.
import type { HttpClient, RequestOptions } from '../http.js';
import { paginate } from '../pagination.js';
import type {
  CreateWebhookEndpointParams, Id, ListWebhookDeliveriesParams, Page, UpdateWebhookEndpointParams,
  WebhookDelivery, WebhookDeliveryWithAttempts, WebhookEndpoint, WebhookEndpointWithSecret,
} from '../types.js';
import { segment } from './path.js';

export class WebhookEndpointsResource {
  readonly #http: HttpClient;

  constructor(http: HttpClient) {
    this.#http = http;
  }

  create(params: CreateWebhookEndpointParams, options?: RequestOptions): Promise<WebhookEndpointWithSecret> {
    return this.#http.request({ ...options, method: 'POST', path: '/v1/webhook-endpoints', body: params });
  }

  list(options?: RequestOptions): Promise<{ data: WebhookEndpoint[] }> {
    return this.#http.request({ ...options, method: 'GET', path: '/v1/webhook-endpoints' });
  }

  get(id: Id, options?: RequestOptions): Promise<WebhookEndpoint> {
    return this.#http.request({ ...options, method: 'GET', path: `/v1/webhook-endpoints/${segment(id)}` });
  }

  /** `{ enabled: true }` re-enables an endpoint that was disabled for failing. */
  update(id: Id, params: UpdateWebhookEndpointParams, options?: RequestOptions): Promise<WebhookEndpoint> {
    return this.#http.request({ ...options, method: 'PATCH', path: `/v1/webhook-endpoints/${segment(id)}`, body: params });
  }

  /** Deletes the endpoint with its deliveries and their log. */
  async remove(id: Id, options?: RequestOptions): Promise<void> {
    await this.#http.request({ ...options, method: 'DELETE', path: `/v1/webhook-endpoints/${segment(id)}` });
  }

  /** A new secret; the old one keeps signing beside it for `overlapHours` (default 24, 0 ends it now). */
  rotateSecret(id: Id, params: { overlap_hours?: number } = {}, options?: RequestOptions): Promise<WebhookEndpointWithSecret> {
    return this.#http.request({ ...options, method: 'POST', path: `/v1/webhook-endpoints/${segment(id)}/rotate-secret`, body: params });
  }

  /** Queues a `webhook.test` event for the endpoint; follow it with `delivery(id)`. */
  sendTest(id: Id, options?: RequestOptions): Promise<WebhookDelivery> {
    return this.#http.request({ ...options, method: 'POST', path: `/v1/webhook-endpoints/${segment(id)}/test` });
  }

  deliveries(id: Id, params: ListWebhookDeliveriesParams = {}, options?: RequestOptions): Promise<Page<WebhookDelivery>> {
    return this.#http.request({ ...options, method: 'GET', path: `/v1/webhook-endpoints/${segment(id)}/deliveries`, query: { ...params } });
  }

  iterateDeliveries(id: Id, params: Omit<ListWebhookDeliveriesParams, 'cursor'> = {}, options?: RequestOptions): AsyncGenerator<WebhookDelivery, void, undefined> {
    return paginate((cursor) => this.deliveries(id, { ...params, cursor }, options));
  }

  /** One delivery with every attempt made. */
  delivery(deliveryId: Id, options?: RequestOptions): Promise<WebhookDeliveryWithAttempts> {
    return this.#http.request({ ...options, method: 'GET', path: `/v1/webhook-deliveries/${segment(deliveryId)}` });
  }

  /** Sends a finished delivery again with the same webhook-id; one still being tried is a ConflictError. */
  replay(deliveryId: Id, options?: RequestOptions): Promise<WebhookDelivery> {
    return this.#http.request({ ...options, method: 'POST', path: `/v1/webhook-deliveries/${segment(deliveryId)}/replay` });
  }

  /** Replays every failed or dead delivery of the endpoint created since `since`; returns how many. */
  replayFailedSince(id: Id, since: Date | string, options?: RequestOptions): Promise<{ replayed: number }> {
    const at = since instanceof Date ? since.toISOString() : since;
    return this.#http.request({ ...options, method: 'POST', path: `/v1/webhook-endpoints/${segment(id)}/replay`, body: { since: at } });
  }
}
