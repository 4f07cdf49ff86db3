import type { Logger } from '../core/log.js';

/**
 * Waits for Ctrl-C or SIGTERM (or `failed` rejecting), then runs `shutdown`. A second signal
 * exits at once.
 */
export async function runUntilSignal(log: Logger, shutdown: () => Promise<void>, failed?: Promise<unknown>): Promise<number> {
  let onSignal: (signal: NodeJS.Signals) => void = () => undefined;
  const signalled = new Promise<NodeJS.Signals>((resolve) => {
    onSignal = resolve;
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
  let failure: unknown;
  const outcome = await Promise.race([
    signalled,
    (failed ?? new Promise(() => undefined)).then(() => 'finished' as const, (error: unknown) => {
      failure = error;
      return 'failed' as const;
    }),
  ]);
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  const force = () => process.exit(130);
  process.once('SIGINT', force);
  process.once('SIGTERM', force);
  log.info({ reason: outcome }, 'shutting down');
  try {
    await shutdown();
  } finally {
    process.off('SIGINT', force);
    process.off('SIGTERM', force);
  }
  if (failure) throw failure;
  log.info('stopped');
  return 0;
}
