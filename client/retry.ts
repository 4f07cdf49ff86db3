// When to retry a request and how long to wait first. Pure: values in, values out.
import { ConnectionError, RetryLaterError, type SteveslistError } from './errors.js';

export interface RetryPolicy {
  /** Retries after the first attempt; 0 turns retrying off. */
  maxRetries: number;
  /** The first backoff's ceiling; each retry doubles it. */
  baseMs: number;
  /** The ceiling of any one backoff computed by the client. */
  maxDelayMs: number;
  /** The longest wait the client accepts from a Retry-After header. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxRetries: 3, baseMs: 500, maxDelayMs: 8_000, maxRetryAfterMs: 60_000 };

// Methods whose repetition changes nothing: a lost answer to one of these may be asked again.
const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);

/**
 * Whether to try `method` again after `error`. 429 and 503 are refusals before any work, so any
 * method may repeat; a lost connection may have lost the answer to a write that landed, so only
 * idempotent methods repeat then.
 */
export function shouldRetry(error: SteveslistError, method: string): boolean {
  if (error instanceof RetryLaterError) return true;
  if (error instanceof ConnectionError) return IDEMPOTENT_METHODS.has(method.toUpperCase());
  return false;
}

/** The server's Retry-After, as the error carries it, when it sent one. */
export function retryAfterOf(error: SteveslistError): number | undefined {
  return error instanceof RetryLaterError ? error.retryAfterSeconds : undefined;
}

/**
 * The wait before retry number `retry` (0 for the first). The server's Retry-After wins, capped;
 * otherwise "full jitter" backoff, so clients that failed together do not return together.
 */
export function retryDelayMs(retry: number, policy: RetryPolicy, retryAfterSeconds?: number, random: () => number = Math.random): number {
  if (retryAfterSeconds !== undefined) return Math.min(retryAfterSeconds * 1000, policy.maxRetryAfterMs);
  const ceiling = Math.min(policy.maxDelayMs, policy.baseMs * 2 ** retry);
  return Math.floor(random() * ceiling);
}

/** Retry-After as seconds from now: either delta-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function parseRetryAfter(header: string | null | undefined, nowMs: number = Date.now()): number | undefined {
  if (header === null || header === undefined) return undefined;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value);
  const at = Date.parse(value);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.ceil((at - nowMs) / 1000));
}
