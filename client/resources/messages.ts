import type { HttpClient, RequestOptions } from '../http.js';
import { paginate } from '../pagination.js';
import type { ListMessagesParams, Message, Page, SendMessageParams } from '../types.js';

export class MessagesResource {
  readonly #http: HttpClient;

  constructor(http: HttpClient) {
    this.#http = http;
  }

  send(params: SendMessageParams, options?: RequestOptions): Promise<Message> {
    return this.#http.request({ ...options, method: 'POST', path: '/v1/messages', body: params });
  }

  /** One page of messages the caller sent or received, newest first. */
  list(params: ListMessagesParams = {}, options?: RequestOptions): Promise<Page<Message>> {
    return this.#http.request({ ...options, method: 'GET', path: '/v1/messages', query: { ...params } });
  }

  iterate(params: Omit<ListMessagesParams, 'cursor'> = {}, options?: RequestOptions): AsyncGenerator<Message, void, undefined> {
    return paginate((cursor) => this.list({ ...params, cursor }, options));
  }
}
