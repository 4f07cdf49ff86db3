// Dashboards over a warehouse of 1M listings and 10M orders: each dashboard query that still reads
// the raw tables (those on marts are in the warehouse bench, beside their plain views), the export
// of every page's numbers, and one rebuild (export, `evidence sources`, `evidence build`, the
// switch) into a temp dashboards folder. The raw tables are the real ones (made from the migrated
// MySQL schema, as the loader makes them) filled inside ClickHouse; the process's one chDB folder
// and its generated data are shared with the warehouse bench. Slow (an Evidence build takes
// minutes on a busy machine): run with BENCH_ONLY=dashboards.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../core/log.js';
import { createMysqlPool } from '../marketplace/mysql/connection.js';
import type { LocalMysqlServer } from '../marketplace/mysql/local-server.js';
import type { RowDataPacket } from '../marketplace/mysql/connection.js';
import { migrate } from '../marketplace/schema/migrate.js';
import { REPORTS_DIR, refreshDashboards } from '../reports/export/build-dashboards.js';
import { sourcesOf } from '../reports/export/data-as-of.js';
import { DASHBOARD_QUERIES, exportDashboardData } from '../reports/export/export-marts.js';
import type { ClickHouseClient } from '../warehouse/client.js';
import { ensureMarts } from '../warehouse/marts.js';
import { ensureRawDatabase, readSourceTable, syncTable } from '../warehouse/raw-schema.js';
import { measure, type BenchResult } from './table.js';
import { benchWarehouse, fillAtScale, LISTINGS, queryP50, USERS } from './warehouse-at-scale.js';

/** The other table the pages read: 50k complaints over the last year. */
async function fillTheRest(client: ClickHouseClient): Promise<void> {
  const year = 'now64(6) - toIntervalSecond(number * 7919 % 31536000)';
  await client.command({ query: 'TRUNCATE TABLE raw.complaints' });
  await client.command({ query: `INSERT INTO raw.complaints (id, reporter_id, listing_id, reason, status, created_at, updated_at, _version, _is_deleted)
    SELECT number + 1, number % ${USERS} + 1, number % ${LISTINGS} + 1, ['spam','fraud','prohibited_item','offensive','other'][number % 5 + 1],
      ['open','reviewing','resolved','dismissed'][number % 4 + 1], ${year}, ${year}, 1, 0 FROM numbers(50000)` });
}

export async function* dashboardBenches(server: LocalMysqlServer): AsyncGenerator<BenchResult> {
  if (!existsSync(join(REPORTS_DIR, 'node_modules', '.bin', 'evidence'))) return;
  const dir = mkdtempSync(join(tmpdir(), 'steveslist-bench-dash-'));
  const url = server.url('bench_dash');
  await migrate(url);
  const pool = await createMysqlPool(url);
  const { client } = benchWarehouse();
  try {
    await ensureRawDatabase(client);
    const [tables] = await pool.query<RowDataPacket[]>("SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'bench_dash' AND TABLE_TYPE = 'BASE TABLE'");
    for (const { name } of tables) {
      const source = await readSourceTable(pool, 'bench_dash', String(name));
      if (source && source.primaryKey.length > 0 && source.table !== 'schema_migrations') await syncTable(client, source);
    }
    await fillAtScale(client);
    await fillTheRest(client);
    const failed = await ensureMarts(client);
    if (failed.length > 0) throw new Error(`marts failed: ${failed.map((f) => `${f.name}: ${f.error}`).join('; ')}`);

    // The queries' own times: the marts' background refreshes are paused meanwhile.
    await client.command({ query: 'SYSTEM STOP VIEWS' });
    try {
      for (const [name, sql] of Object.entries(DASHBOARD_QUERIES).filter(([, sql]) => sourcesOf(sql).raw)) {
        const { p50, totalMs } = await queryP50(client, sql, 3);
        yield { ...measure(`dashboard query ${name} (raw tables, 1M listings / 10M orders)`, 'queries', 3, totalMs), note: `p50 ${p50.toFixed(0)} ms; no mart yet` };
      }
    } finally {
      await client.command({ query: 'SYSTEM START VIEWS' });
    }

    let started = Date.now();
    const exported = await exportDashboardData(client, join(dir, 'export-only'));
    const rows = Object.values(exported.rows).reduce((a, b) => a + b, 0);
    yield measure(`dashboard export at 1M listings / 10M orders (${Object.keys(exported.rows).length} queries -> Parquet)`, 'exports', 1, Date.now() - started, `${rows} rows exported`);
    started = Date.now();
    const summary = await refreshDashboards({ warehouse: client, log: silentLogger(), dashboardsDir: join(dir, 'dashboards') });
    yield measure('dashboard rebuild at 1M listings / 10M orders (export, evidence sources + build, switch)', 'rebuilds', 1, Date.now() - started, summary);
  } finally {
    await pool.end();
    rmSync(dir, { recursive: true, force: true });
  }
}
