import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Waits `ms`, or rejects with `stopped()` as soon as `signal` aborts (at once if it already has):
 * a worker backing off between retries stops without waiting its back-off out.
 */
export async function sleepUnlessAborted(ms: number, signal: AbortSignal, stopped: () => Error): Promise<void> {
  if (signal.aborted) throw stopped();
  try {
    await sleep(ms, undefined, { signal });
  } catch (error) {
    if (signal.aborted) throw stopped();
    throw error;
  }
}
