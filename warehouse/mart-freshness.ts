// How fresh each mart is, read from the refresh ledger the warehouse role keeps: any process that
// can query the warehouse (the admin service in another process, over the served warehouse) gets
// the same answer as the owner.
import type { Config } from '../core/config/index.js';
import type { MartStatus } from '../pipelines/status/pipeline-status.js';
import { createWarehouseClient, type ClickHouseClient } from './client.js';
import { readServedWarehouse } from './http/served-warehouse.js';
import { MARTS, REFRESH_LEDGER } from './marts.js';

/** What /admin/pipeline shows of a mart (the status module owns the shape; the warehouse fills it). */
export type MartFreshness = MartStatus;

interface LedgerRow {
  mart: string; refresh_seconds: number; refreshed_ms: number | null; duration_ms: number;
  synced_ms: number | null; error: string; failed_ms: number | null;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** Every mart of the registry, in its order, with what the ledger knows of it. */
export async function readMartFreshness(client: ClickHouseClient, nowMs = Date.now()): Promise<MartFreshness[]> {
  const result = client.query({
    query: `SELECT mart, refresh_seconds, toUnixTimestamp(refreshed_at) * 1000 AS refreshed_ms, duration_ms,
              toUnixTimestamp64Milli(source_synced_through) AS synced_ms, error, toUnixTimestamp(failed_at) * 1000 AS failed_ms
            FROM ${REFRESH_LEDGER} FINAL`,
    format: 'JSONEachRow', clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
  });
  // Before the warehouse role's first look there is no ledger: no mart has been refreshed yet.
  const read = await result.then((r) => r.json<LedgerRow>(), (error: unknown) => {
    if (/UNKNOWN_(DATABASE|TABLE)|does ?n[o']t exist/i.test((error as Error).message)) return [];
    throw error;
  });
  const ledger = new Map(read.map((row) => [row.mart, row]));
  return Object.keys(MARTS).map((mart) => {
    const row = ledger.get(mart);
    const refreshedMs = row?.refreshed_ms ?? null;
    return {
      mart,
      refreshed_at: iso(refreshedMs),
      age_seconds: refreshedMs === null ? null : Math.max(0, (nowMs - refreshedMs) / 1000),
      source_synced_through: iso(row?.synced_ms ?? null),
      refresh_seconds: row?.refresh_seconds ?? null,
      duration_ms: row?.duration_ms ?? null,
      ...(row?.error ? { error: row.error, failed_at: iso(row.failed_ms) ?? undefined } : {}),
    };
  });
}

/**
 * For a process that does not own the warehouse (the admin service on its own): reads the ledger
 * from the ClickHouse server, or from the warehouse the platform serves on this machine. Opens
 * nothing while no process serves it (chDB allows one process per folder).
 */
export function servedMartFreshness(warehouse: Pick<Config['warehouse'], 'dir' | 'url' | 'username' | 'password'>): () => Promise<MartFreshness[]> {
  return async () => {
    const served = warehouse.url ? undefined : readServedWarehouse(warehouse.dir);
    if (!warehouse.url && !served) throw new Error('no process serves the warehouse (start `steveslist worker warehouse` or `steveslist up`)');
    const client = warehouse.url
      ? createWarehouseClient({ url: warehouse.url, path: warehouse.dir, username: warehouse.username, password: warehouse.password })
      : createWarehouseClient({ url: served!.url, path: warehouse.dir, username: served!.loader.user, password: served!.loader.password });
    try {
      return await readMartFreshness(client);
    } finally {
      await client.close();
    }
  };
}
