import type { HttpClient, RequestOptions } from '../http.js';
import { paginate } from '../pagination.js';
import type { ListMessagesParams, ListThreadsParams, Message, MessageThread, Page, SendMessageParams, ThreadParams } from '../types.js';

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

  /** One page of your conversations (per listing and counterpart), newest activity first, with unread counts. */
  threads(params: ListThreadsParams = {}, options?: RequestOptions): Promise<Page<MessageThread>> {
    return this.#http.request({ ...options, method: 'GET', path: '/v1/message-threads', query: { ...params } });
  }

  /** The messages of one conversation, oldest first. */
  async thread(params: ThreadParams, options?: RequestOptions): Promise<Message[]> {
    const answer = await this.#http.request<{ data: Message[] }>({ ...options, method: 'GET', path: '/v1/message-threads/messages', query: { ...params } });
    return answer.data;
  }

  /** Marks what the other person sent you in the conversation as read; answers how many were marked. */
  async markRead(params: ThreadParams, options?: RequestOptions): Promise<number> {
    const answer = await this.#http.request<{ marked: number }>({ ...options, method: 'POST', path: '/v1/message-threads/read', query: { ...params } });
    return answer.marked;
  }

  unreadCount(options?: RequestOptions): Promise<{ unread: number }> {
    return this.#http.request({ ...options, method: 'GET', path: '/v1/messages/unread-count' });
  }
}
