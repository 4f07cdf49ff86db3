// The dashboards read the warehouse's marts, which the warehouse makes (and first fills) when its
// loader starts. A build started at the same moment — the scheduler catching up on a start, or
// someone asking at once — waits for them instead of failing on a table that is not there yet.
import { setTimeout as sleep } from 'node:timers/promises';
import { ServiceUnavailable } from '../../core/errors.js';
import type { ClickHouseClient } from '../../warehouse/client.js';
import { readMartRefreshTimes, sourcesOf } from './data-as-of.js';

/** The marts a set of queries reads, by name. */
export function martsRead(queries: Record<string, string>): string[] {
  return [...new Set(Object.values(queries).flatMap((query) => sourcesOf(query).marts))].sort();
}

/**
 * Resolves, with each mart's last refresh time, once every mart named has been computed at least
 * once; says which it waits for (once),
 * and gives up after `timeoutMs` with an error that names the missing marts (retriable: the next
 * run may find them).
 */
export async function waitForMarts(
  client: ClickHouseClient, marts: readonly string[], options: { timeoutMs?: number; pollMs?: number; waiting?: (missing: string[]) => void } = {},
): Promise<Map<string, number>> {
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  let told = false;
  for (;;) {
    const refreshed = await readMartRefreshTimes(client).catch(() => new Map<string, number>());
    const missing = marts.filter((mart) => !refreshed.has(mart));
    if (missing.length === 0) return refreshed;
    if (Date.now() >= deadline) {
      throw new ServiceUnavailable(`the warehouse has not computed the marts ${missing.join(', ')} yet (the warehouse loader makes them when it starts, once the raw tables exist); the next run tries again`);
    }
    if (!told) options.waiting?.(missing);
    told = true;
    await sleep(options.pollMs ?? 1_000);
  }
}
