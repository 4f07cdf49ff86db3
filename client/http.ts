// One request to the API over global fetch: credentials, JSON both ways, a timeout per attempt,
// typed errors and retries. Browser-safe: nothing here may import a node: module.
import { ConnectionError, errorFromResponse, SteveslistError } from './errors.js';
import { parseRetryAfter, retryAfterOf, retryDelayMs, shouldRetry, type RetryPolicy } from './retry.js';

export type Fetch = (input: string, init: RequestInit) => Promise<Response>;

export type Credential = { kind: 'api_key' | 'session'; value: string };

export type QueryValue = string | number | boolean | undefined;

export interface RequestOptions {
  /** Cancels the request, including waits between retries; the promise rejects with the signal's reason. */
  signal?: AbortSignal;
}

export interface HttpRequest extends RequestOptions {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  query?: Record<string, QueryValue>;
  body?: unknown;
}

export interface HttpOptions {
  baseUrl: string;
  fetch: Fetch;
  credential: Credential | undefined;
  timeoutMs: number;
  retry: RetryPolicy;
}

const TIMED_OUT = Symbol('timed out');

export class HttpClient {
  // Private fields, so neither console.log(client) nor JSON.stringify shows the credential.
  readonly #options: HttpOptions;

  constructor(options: HttpOptions) {
    this.#options = { ...options, baseUrl: options.baseUrl.replace(/\/+$/, '') };
  }

  get baseUrl(): string {
    return this.#options.baseUrl;
  }

  async request<T>(request: HttpRequest): Promise<T> {
    const { retry } = this.#options;
    const url = this.#options.baseUrl + request.path + queryString(request.query);
    const label = `${request.method} ${request.path}`;
    for (let attempt = 0; ; attempt++) {
      let error: SteveslistError;
      try {
        return await this.#attempt<T>(request, url, label);
      } catch (thrown) {
        if (!(thrown instanceof SteveslistError)) throw thrown;
        error = thrown;
      }
      if (attempt >= retry.maxRetries || !shouldRetry(error, request.method)) throw error;
      await sleep(retryDelayMs(attempt, retry, retryAfterOf(error)), request.signal);
    }
  }

  async #attempt<T>(request: HttpRequest, url: string, label: string): Promise<T> {
    const { signal } = request;
    signal?.throwIfAborted();
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(TIMED_OUT), this.#options.timeoutMs);
    const onAbort = () => controller.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const response = await this.#options.fetch(url, {
        method: request.method,
        headers: this.#headers(request.body !== undefined),
        body: request.body === undefined ? undefined : JSON.stringify(request.body),
        signal: controller.signal,
      });
      // The body is read under the same timeout: a server may stall after the headers.
      const text = await response.text();
      if (!response.ok) {
        throw errorFromResponse(response.status, response.statusText, text, label, parseRetryAfter(response.headers.get('retry-after')));
      }
      if (text === '') return undefined as T;
      try {
        return JSON.parse(text) as T;
      } catch (cause) {
        throw new SteveslistError(`${label}: the server answered ${response.status} with a body that is not JSON`, 'invalid_response', { status: response.status, request: label, cause });
      }
    } catch (thrown) {
      if (thrown instanceof SteveslistError) throw thrown;
      // The caller's own cancellation is theirs to handle, not a failure to retry.
      if (signal?.aborted) throw signal.reason;
      const timedOut = controller.signal.aborted && controller.signal.reason === TIMED_OUT;
      // The origin only: a base URL may carry user:password, and fetch's own error may not.
      const origin = new URL(this.#options.baseUrl).origin;
      const what = timedOut ? `no answer within ${this.#options.timeoutMs} ms` : `${describeCause(thrown)}`;
      throw new ConnectionError(`${label}: could not reach ${origin}: ${what}`, { request: label, timedOut, cause: timedOut ? undefined : thrown });
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  #headers(hasBody: boolean): Record<string, string> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (hasBody) headers['content-type'] = 'application/json';
    const credential = this.#options.credential;
    if (credential?.kind === 'api_key') headers['x-steveslist-api-key'] = credential.value;
    if (credential?.kind === 'session') headers.authorization = `Bearer ${credential.value}`;
    return headers;
  }
}

function queryString(query: Record<string, QueryValue> | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined) params.append(name, String(value));
  }
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

/** Node's fetch says only "fetch failed"; what happened (ECONNRESET, bad port, ...) is on its cause. */
function describeCause(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause as { code?: unknown; message?: unknown } | undefined;
  if (typeof cause?.code === 'string') return `${error.message} (${cause.code})`;
  if (typeof cause?.message === 'string' && cause.message !== '') return `${error.message}: ${cause.message}`;
  return error.message;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
