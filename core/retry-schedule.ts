/**
 * Exponential backoff, used by the consumer runner and change capture alike: attempt 1 waits
 * between half of `initialMs` and `initialMs`, each later attempt up to twice as long, capped at
 * `maxMs` (the wait is the ceiling's upper half, "equal jitter"). Jitter keeps many consumers from
 * retrying in lockstep; the floor keeps a retry from coming straight back.
 */
export function backoffMs(attempt: number, initialMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, initialMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
