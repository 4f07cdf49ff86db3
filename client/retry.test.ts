import { describe, expect, it } from 'vitest';
import { AuthenticationError, ConflictError, ConnectionError, NotFoundError, PermissionError, RateLimitError, ServiceUnavailableError, ValidationError } from './errors.js';
import { DEFAULT_RETRY_POLICY, parseRetryAfter, retryDelayMs, shouldRetry } from './retry.js';

const policy = { ...DEFAULT_RETRY_POLICY, baseMs: 100, maxDelayMs: 1_000, maxRetryAfterMs: 5_000 };

describe('retry schedule', () => {
  it('doubles the backoff ceiling each retry, up to maxDelayMs, with full jitter below it', () => {
    const highest = [0, 1, 2, 3, 4, 5].map((retry) => retryDelayMs(retry, policy, undefined, () => 0.999_999));
    expect(highest).toEqual([99, 199, 399, 799, 999, 999]);
    expect(retryDelayMs(3, policy, undefined, () => 0)).toBe(0);
    expect(retryDelayMs(3, policy, undefined, () => 0.5)).toBe(400);
  });

  it('waits what Retry-After says instead, capped at maxRetryAfterMs', () => {
    expect(retryDelayMs(0, policy, 0)).toBe(0);
    expect(retryDelayMs(0, policy, 2)).toBe(2_000);
    expect(retryDelayMs(5, policy, 3_600)).toBe(5_000);
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2025-03-01T12:00:00Z');
    expect(parseRetryAfter('7', now)).toBe(7);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('Sat, 01 Mar 2025 12:00:30 GMT', now)).toBe(30);
    expect(parseRetryAfter('Sat, 01 Mar 2025 11:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});

describe('what is retried', () => {
  const context = { request: 'POST /v1/listings' };

  it('retries 429 and 503 whatever the method: the server refused before doing anything', () => {
    for (const method of ['GET', 'POST', 'PATCH', 'DELETE']) {
      expect(shouldRetry(new RateLimitError('slow down', 'rate_limited', context), method)).toBe(true);
      expect(shouldRetry(new ServiceUnavailableError('down', 'unavailable', context), method)).toBe(true);
    }
  });

  it('retries a lost connection only for GET and DELETE: a POST or PATCH may have landed', () => {
    const lost = new ConnectionError('reset', { ...context, timedOut: false });
    expect(shouldRetry(lost, 'GET')).toBe(true);
    expect(shouldRetry(lost, 'DELETE')).toBe(true);
    expect(shouldRetry(lost, 'POST')).toBe(false);
    expect(shouldRetry(lost, 'PATCH')).toBe(false);
  });

  it('never retries the other 4xx', () => {
    for (const type of [ValidationError, AuthenticationError, PermissionError, NotFoundError, ConflictError]) {
      expect(shouldRetry(new type('no', 'no', context), 'GET')).toBe(false);
    }
  });
});
