// Serving the one-machine warehouse from the process that owns its chDB folder: the HTTP
// interface, the platform's own users, and the file local commands find it by.
import { join } from 'node:path';
import type { Config } from '../../core/config/index.js';
import { EnvironmentError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { serveWarehouseHttp, type ConfineQuery, type WarehouseHttpServer } from './http-interface.js';
import { removeServedWarehouse, writeServedWarehouse } from './served-warehouse.js';
import { DEFAULT_ANALYST_LIMITS, WarehouseUsers } from './warehouse-users.js';

export const LOADER_USER = 'steveslist_loader';
export const LOCAL_ANALYST_USER = 'steveslist_local';

export const warehouseUsersOf = (config: Config) => new WarehouseUsers(join(config.dataDir, 'warehouse-users.json'));

export async function serveWarehouse(config: Config, confine: ConfineQuery, log: Logger): Promise<WarehouseHttpServer> {
  const users = warehouseUsersOf(config);
  const loader = users.addInMemory({ name: LOADER_USER, role: 'loader', limits: { maxResultRows: 0, maxExecutionSeconds: 0, maxConcurrentQueries: 64 } });
  const analyst = users.addInMemory({ name: LOCAL_ANALYST_USER, role: 'analyst', limits: DEFAULT_ANALYST_LIMITS });
  const { host, port, portChosen } = config.warehouse.http;
  const listen = (on: number) => serveWarehouseHttp({ dir: config.warehouse.dir, host, port: on, users, confine, log });
  let server: WarehouseHttpServer;
  try {
    server = await listen(port);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    if (portChosen) throw new EnvironmentError(`WAREHOUSE_HTTP_PORT: ${host}:${port} is taken by another process; choose another port (0 takes a free one)`, { cause: error });
    // The default port may belong to a ClickHouse server or another platform on this machine.
    server = await listen(0);
    log.warn({ taken: port, port: server.port }, 'warehouse HTTP: the default port is taken; serving on a free one (set WAREHOUSE_HTTP_PORT to choose)');
  }
  writeServedWarehouse(config.warehouse.dir, { url: server.url, pid: process.pid, loader: { user: LOADER_USER, password: loader }, analyst: { user: LOCAL_ANALYST_USER, password: analyst } });
  log.info({ warehouse: server.url }, 'warehouse served over ClickHouse\'s HTTP interface (analysts: steveslist analyst add <name>)');
  return {
    ...server,
    close: async () => {
      removeServedWarehouse(config.warehouse.dir);
      await server.close();
    },
  };
}
