// API keys are minted, listed and revoked from a logged-in session only: a key cannot mint keys.
import type { HttpClient, RequestOptions } from '../http.js';
import type { ApiKey, CreateApiKeyParams, CreatedApiKey, Id } from '../types.js';
import { segment } from './path.js';

export class ApiKeysResource {
  readonly #http: HttpClient;

  constructor(http: HttpClient) {
    this.#http = http;
  }

  /** The answer's `key` is shown only here: store it now. */
  create(params: CreateApiKeyParams, options?: RequestOptions): Promise<CreatedApiKey> {
    return this.#http.request({ ...options, method: 'POST', path: '/v1/api-keys', body: params });
  }

  list(options?: RequestOptions): Promise<{ data: ApiKey[] }> {
    return this.#http.request({ ...options, method: 'GET', path: '/v1/api-keys' });
  }

  /** Revoked at once: requests with the key fail with AuthenticationError from now on. */
  async revoke(id: Id, options?: RequestOptions): Promise<void> {
    await this.#http.request({ ...options, method: 'DELETE', path: `/v1/api-keys/${segment(id)}` });
  }
}
