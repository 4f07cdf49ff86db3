// The warehouse: client, raw layer, loader, marts and analyst SQL.
import type { Config } from '../core/config/index.js';
import { createWarehouseClient, type ClickHouseClient } from './client.js';

export { startWarehouseLoader, WAREHOUSE_GROUP } from './loader.js';
export { analystQuery, AnalystQueryError, type AnalystFormat } from './analyst-query.js';
export type { ClickHouseClient } from './client.js';

export function openWarehouse(config: Config): ClickHouseClient {
  return createWarehouseClient({
    url: config.warehouse.url, path: config.warehouse.dir, username: config.warehouse.username, password: config.warehouse.password,
  });
}
