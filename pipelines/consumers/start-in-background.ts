// Starts a role without holding up the process that runs it: a worker whose start reads a table
// (the percolator's saved searches and listings' words, the listing checks' price medians) took
// 16-35 s of a restart during a burst, and `up` waited for it before saying it was up. Its
// messages wait on the bus meanwhile. A failed attempt shows on /health and is tried again with
// the role's backoff.
import { sleepUnlessAborted } from '../../core/abortable-sleep.js';
import type { Logger } from '../../core/log.js';
import type { RoleReporter } from '../../core/role-health.js';

export interface BackgroundStart {
  /** Ends the retries and waits for an attempt in hand, so the role can then be stopped whole. */
  stop(): Promise<void>;
}

export function startInBackground(start: () => Promise<void>, options: { health?: RoleReporter; log: Logger; what: string }): BackgroundStart {
  const abort = new AbortController();
  const running = (async () => {
    for (;;) {
      try {
        options.health?.noted?.(`starting: ${options.what}`);
        await start();
        options.health?.noted?.(undefined);
        options.health?.succeeded();
        return;
      } catch (error) {
        if (abort.signal.aborted) return;
        const line = { message: `${options.what} failed; trying again`, fields: {} };
        let waitMs = 5_000;
        // Reported, the reporter logs the one line for it.
        if (options.health) waitMs = options.health.failed(error, line);
        else options.log.warn({ err: error, retryInMs: waitMs }, line.message);
        await sleepUnlessAborted(waitMs, abort.signal, () => new Error('stopped')).catch(() => undefined);
        if (abort.signal.aborted) return;
      }
    }
  })();
  return {
    stop: async () => {
      abort.abort();
      await running;
    },
  };
}
