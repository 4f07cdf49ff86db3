// Reliability: the whole platform (`steveslist up`: change capture, search indexer, warehouse
// loader) killed with -9 at seeded random moments while `steveslist simulate` keeps writing. When
// the writes are done and the platform has caught up, every copy must equal MySQL: nothing lost,
// nothing phantom, nothing stale.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openTestBus, replicaId } from '../fixtures/cdc.js';
import { startCli, type RunningCli } from '../fixtures/run-cli.js';
import { tempDir } from '../fixtures/temp-dir.js';
import { silentLogger } from '../../core/log.js';
import { createMysqlPool, type RowDataPacket } from '../../marketplace/mysql/connection.js';
import { LocalMysqlServer } from '../../marketplace/mysql/local-server.js';
import { Random } from '../../marketplace/sample-data/random.js';
import { EmbeddedSearch } from '../../pipelines/sinks/search/embedded/index.js';
import { verify } from '../../pipelines/sinks/search/rebuild.js';
import { verifyWarehouse } from '../../warehouse/backfill.js';
import { createWarehouseClient } from '../../warehouse/client.js';

const dir = tempDir();
afterAll(() => dir.remove());

const KILLS = Number(process.env.CHAOS_KILLS ?? 5);
const WRITES = Number(process.env.CHAOS_WRITES ?? 10_000);
const RATE = 500;

describe('the platform under kill -9', () => {
  it(`loses nothing when killed ${KILLS} times during ${WRITES} writes`, async () => {
    const dataDir = join(dir.path, 'platform');
    const env = { DATA_DIR: dataDir, PORT: '0', ADMIN_PORT: '0', CDC_SERVER_ID: String(replicaId()), LOG_LEVEL: 'warn', BUS_FSYNC: 'never' };
    const rng = new Random(Number(process.env.CHAOS_SEED ?? 2024));
    const start = async () => {
      const up = startCli(['up'], { ...env, LOG_LEVEL: 'info' });
      await up.waitFor(/steveslist is up/, 120_000);
      return up;
    };

    let up: RunningCli = await start();
    const simulate = startCli(['simulate', '--rate', `${RATE}/s`, '--duration', `${WRITES / RATE}s`, '--concurrency', '8', '--seed', '7'], env);
    for (let kill = 1; kill <= KILLS; kill++) {
      await new Promise((r) => setTimeout(r, rng.int(1000, (WRITES / RATE / KILLS) * 1000)));
      up.child.kill('SIGKILL');
      await up.exited;
      up = await start();
    }
    const simulated = await simulate.exited;
    expect(simulated, simulate.output()).toBe(0);

    // Run until change capture has the server's last transaction and both consumer groups have
    // nothing left, then stop cleanly (the embedded bus and chDB are one process's at a time).
    // The platform writes too (email rows and their statuses). Wait until everything is quiet:
    // the server's GTID position unchanged for a while and change capture at that position. Then
    // stop cleanly and make sure no consumer group has anything left.
    const statePath = join(dataDir, 'cdc', 'reader-state.json');
    const seq = () => (existsSync(statePath) ? Number(String(JSON.parse(readFileSync(statePath, 'utf8')).gtid ?? '').split('-')[2] ?? 0) : 0);
    for (let round = 0; ; round++) {
      const { rootPassword } = JSON.parse(readFileSync(join(dataDir, 'mysql', 'secret.json'), 'utf8'));
      const port = JSON.parse(readFileSync(join(dataDir, 'mysql', 'server.json'), 'utf8')).port as number;
      const pool = await createMysqlPool(`mysql://root:${encodeURIComponent(rootPassword)}@127.0.0.1:${port}/steveslist`);
      const serverSeq = async () => {
        const [[row]] = await pool.query<RowDataPacket[]>('SELECT @@gtid_binlog_pos AS g');
        return Number(String(row!.g).split('-')[2]);
      };
      let quiet = -1;
      const deadline = Date.now() + 90_000;
      for (let last = -1; Date.now() < deadline;) {
        const now = await serverSeq();
        if (now === last && seq() >= now) {
          quiet = now;
          break;
        }
        last = now;
        await new Promise((r) => setTimeout(r, 1500));
      }
      await pool.end();
      up.child.kill('SIGINT');
      expect(await up.exited).toBe(0);
      const bus = await openTestBus(join(dataDir, 'bus'));
      const groups = ['search-indexer', 'warehouse-loader', 'email', 'webhooks'];
      const behind = (await Promise.all(groups.map((g) => bus.lag(g)))).flat().reduce((sum, l) => sum + l.lag, 0);
      await bus.close();
      if (quiet >= 0 && behind === 0 && seq() >= quiet) break;
      expect(round).toBeLessThan(5);
      up = await start();
    }

    // The checker: MySQL against every copy.
    const server = await LocalMysqlServer.open({ dataDir: join(dataDir, 'mysql'), log: silentLogger() });
    const url = server.url();
    const appPool = await createMysqlPool(url);
    const search = new EmbeddedSearch(join(dataDir, 'search'));
    const warehouse = createWarehouseClient({ path: join(dataDir, 'warehouse') });
    try {
      const searchReport = await verify({ url, search });
      const warehouseReport = await verifyWarehouse({ url, pool: appPool, database: 'steveslist', client: warehouse });
      const rows = [
        { copy: 'search: listings', checked: searchReport.checked, lost: searchReport.missing.length, phantom: searchReport.phantom.length, stale: searchReport.stale.length },
        ...warehouseReport.map((r) => ({ copy: `warehouse: ${r.table}`, checked: r.mysqlRows, lost: r.missing.length, phantom: r.phantom.length, stale: r.different.length })),
      ];
      process.stdout.write(`\nchecker after ${KILLS} kill -9 of up during ${WRITES} writes:\n${rows.map((r) => `  ${r.copy.padEnd(32)} checked ${String(r.checked).padStart(6)}  lost ${r.lost}  phantom ${r.phantom}  stale ${r.stale}`).join('\n')}\n`);
      expect(rows.filter((r) => r.lost + r.phantom + r.stale > 0)).toEqual([]);
      expect(searchReport.checked).toBeGreaterThan(1000);
    } finally {
      await warehouse.close();
      await search.close();
      await appPool.end();
      await server.stop();
    }
  }, 600_000);
});
