// When a failed delivery is tried again: the published schedule, with ±10% jitter so a receiver
// coming back is not hit by every retry at once. After the last step the delivery is dead.

export const WEBHOOK_RETRY_SCHEDULE_MS = [0, 5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000];

/** Delay before attempt `attempt + 1`, or undefined when `attempt` was the last one. */
export function nextAttemptDelayMs(attempt: number, schedule: readonly number[] = WEBHOOK_RETRY_SCHEDULE_MS, random: () => number = Math.random): number | undefined {
  const base = schedule[attempt];
  if (base === undefined) return undefined;
  return Math.round(base * (0.9 + 0.2 * random()));
}
