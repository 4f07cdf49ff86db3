// The official ClickHouse JDBC driver (com.clickhouse:jdbc-v2, as DBeaver and other JDBC tools use
// it) against the served warehouse: it connects, reads result sets with their types, gets
// ClickHouse's error codes, and is held to the analyst's rules like any other client.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/log.js';
import { isJdbcFailure, jdbcClasspath, runJdbcQuery, type JdbcRows } from '../../test/fixtures/jdbc.js';
import { tempDir } from '../../test/fixtures/temp-dir.js';
import { confineAnalystQuery } from '../analyst-guard.js';
import { createWarehouseClient } from '../client.js';
import { serveWarehouseHttp, type WarehouseHttpServer } from './http-interface.js';
import { WarehouseUsers } from './warehouse-users.js';

const dir = tempDir();
let server: WarehouseHttpServer;
let password: string;

beforeAll(async () => {
  const warehouseDir = join(dir.path, 'warehouse');
  const owner = createWarehouseClient({ path: warehouseDir });
  await owner.command({ query: 'CREATE DATABASE IF NOT EXISTS marts' });
  await owner.command({ query: 'CREATE TABLE marts.daily_orders (day Date, orders UInt64, revenue_cents Int64, city LowCardinality(String), note Nullable(String)) ENGINE = MergeTree ORDER BY day' });
  await owner.command({ query: "INSERT INTO marts.daily_orders VALUES ('2026-12-01', 12, 150000, 'Austin', NULL), ('2026-12-02', 7, 99900, 'Boston', 'snow')" });
  await owner.close();
  const users = new WarehouseUsers(join(dir.path, 'warehouse-users.json'));
  password = users.add('dbeaver', { maxResultRows: 100, maxExecutionSeconds: 30, maxConcurrentQueries: 4 });
  server = await serveWarehouseHttp({ dir: warehouseDir, host: '127.0.0.1', port: 0, users, confine: confineAnalystQuery, log: silentLogger() });
  await jdbcClasspath(); // the first build fetches the driver from Maven Central
}, 600_000);
afterAll(async () => {
  await server?.close();
  dir.remove();
});

const jdbc = (sql: string, options: { user?: string; password?: string; properties?: Record<string, string> } = {}) =>
  runJdbcQuery({ url: `jdbc:clickhouse:${server.url}`, user: options.user ?? 'dbeaver', password: options.password ?? password, sql, properties: options.properties });

describe('the JDBC driver on the served warehouse', () => {
  it('reads a result set with its columns and types (ClickHouse\'s LZ4 blocks, the driver\'s default)', async () => {
    const result = await jdbc('SELECT day, orders, revenue_cents / 100 AS revenue, city, note FROM marts.daily_orders ORDER BY day');
    expect(isJdbcFailure(result), JSON.stringify(result)).toBe(false);
    const rows = result as JdbcRows;
    expect(rows.columns).toEqual(['day', 'orders', 'revenue', 'city', 'note']);
    expect(rows.types[0]).toMatch(/Date/);
    expect(rows.rows).toEqual([['2026-12-01', '12', '1500.0', 'Austin', null], ['2026-12-02', '7', '999.0', 'Boston', 'snow']]);
  });

  it('reads the tables of the database a tool chose by their bare names', async () => {
    const result = await runJdbcQuery({ url: `jdbc:clickhouse:${server.url}/marts`, user: 'dbeaver', password, sql: 'SELECT count() FROM daily_orders' });
    expect((result as JdbcRows).rows, JSON.stringify(result)).toEqual([['2']]);
  });

  it('reads with ClickHouse\'s own compression switched off as well as on', async () => {
    const result = await jdbc('SELECT sum(orders) FROM marts.daily_orders', { properties: { compress: 'false' } });
    expect((result as JdbcRows).rows).toEqual([['19']]);
  });

  it('gets ClickHouse\'s error code for a refused write, a wrong password and a result past the row limit', async () => {
    const write = await jdbc('INSERT INTO marts.daily_orders (day) VALUES (today())');
    expect(isJdbcFailure(write) && write.code).toBe(164);
    const wrong = await jdbc('SELECT 1', { password: 'not-it' });
    expect(isJdbcFailure(wrong) && wrong.code).toBe(516);
    const big = await jdbc('SELECT number FROM numbers(1000)');
    expect(isJdbcFailure(big) && big.code).toBe(396);
    const file = await jdbc("SELECT * FROM file('/etc/passwd', 'LineAsString')");
    expect(isJdbcFailure(file) && file.error).toMatch(/file/);
  });
});
