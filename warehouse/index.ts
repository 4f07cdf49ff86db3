// The warehouse: client, raw layer, loader, marts and analyst SQL.
import type { Config } from '../core/config/index.js';
import { createWarehouseClient, type ClickHouseClient } from './client.js';
import { withWarehouseEngine } from './chdb/engine-folders.js';
import { readServedWarehouse } from './http/served-warehouse.js';

export { startWarehouseLoader, WAREHOUSE_GROUP } from './loader.js';
export { analystQuery, AnalystQueryError, AnalystQueryRefused, type AnalystFormat } from './analyst-query.js';
export { analystQuerySettings, askClickHouse, confineAnalystQuery, type AskWarehouse, type ConfineOptions } from './analyst-guard.js';
export type { ClickHouseClient } from './client.js';
export { ensureMarts, refreshMarts, MARTS, type MartDefinition } from './marts.js';
export { MartKeeper } from './mart-keeper.js';
export { readMartFreshness, servedMartFreshness, type MartFreshness } from './mart-freshness.js';
export { readServedWarehouse, type ServedWarehouse } from './http/served-warehouse.js';

/** The configured ClickHouse server, or the chDB folder itself: for the process that owns (and serves) it. */
export function openWarehouseOwner(config: Config): ClickHouseClient {
  return config.warehouse.url ? openWarehouseSession(config) : withWarehouseEngine(config.warehouse.dir, () => openWarehouseSession(config));
}

/** One more session on the warehouse this process owns (a chDB session of its own: nothing it runs waits for another's). */
export function openWarehouseSession(config: Config): ClickHouseClient {
  return createWarehouseClient({
    url: config.warehouse.url, path: config.warehouse.dir, username: config.warehouse.username, password: config.warehouse.password,
  });
}

/**
 * The warehouse for a command: the configured server; else, while the platform runs, the warehouse
 * it serves (chDB allows one process per folder), with the loader's read-write user; else the folder.
 */
export function openWarehouse(config: Config): ClickHouseClient {
  const served = config.warehouse.url ? undefined : readServedWarehouse(config.warehouse.dir);
  if (!served) return openWarehouseOwner(config);
  return createWarehouseClient({ url: served.url, path: config.warehouse.dir, username: served.loader.user, password: served.loader.password });
}
