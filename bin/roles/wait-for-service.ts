// A role started beside its servers (a compose stack, a reboot) may come up before them: it retries
// while the failure is one that waiting can fix (nothing listening yet), up to STARTUP_WAIT_SECONDS,
// then refuses to start with the last error, which names the setting to check.
import { PlatformError, ServiceUnavailable } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';

export interface WaitOptions {
  timeoutMs: number;
  log: Logger;
  intervalMs?: number;
}

export async function waitForService<T>(open: () => Promise<T>, options: WaitOptions): Promise<T> {
  const intervalMs = options.intervalMs ?? 1000;
  const deadline = Date.now() + options.timeoutMs;
  let loggedAt = 0;
  for (;;) {
    try {
      return await open();
    } catch (error) {
      // Only a retriable platform error means "not up yet"; a wrong password or a bad binlog format stays wrong.
      if (!(error instanceof PlatformError) || !error.retriable) throw error;
      if (Date.now() + intervalMs > deadline) {
        if (options.timeoutMs === 0) throw error;
        throw new ServiceUnavailable(`${error.message} (gave up after ${Math.round(options.timeoutMs / 1000)} s; STARTUP_WAIT_SECONDS sets the wait)`, { cause: error });
      }
      if (Date.now() - loggedAt >= 10_000) {
        options.log.warn({ reason: error.message, waitSeconds: Math.round((deadline - Date.now()) / 1000) }, 'waiting for a server to answer');
        loggedAt = Date.now();
      }
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }
}
