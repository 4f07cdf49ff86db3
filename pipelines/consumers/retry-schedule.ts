/**
 * Exponential backoff with full jitter: attempt 1 waits up to `initialMs`, each later attempt up
 * to twice as long, capped at `maxMs`. Jitter keeps many consumers from retrying in lockstep.
 */
export function backoffMs(attempt: number, initialMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, initialMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
