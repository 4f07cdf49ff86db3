// The served warehouse as ClickHouse clients see it: @clickhouse/client over HTTP, plain HTTP in
// the formats analysts' tools ask for, ClickHouse's error contract, users and their limits, and
// requests that cannot change what another request sees.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { tableFromIPC } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/log.js';
import { tempDir } from '../../test/fixtures/temp-dir.js';
import { confineAnalystQuery } from '../analyst-guard.js';
import { createWarehouseClient } from '../client.js';
import { insertTsv } from '../raw-insert.js';
import { serveWarehouseHttp, type WarehouseHttpServer } from './http-interface.js';
import { WarehouseUsers } from './warehouse-users.js';

const dir = tempDir();
const warehouseDir = join(dir.path, 'warehouse');
let server: WarehouseHttpServer;
let loaderPassword: string;
let analystPassword: string;
let tightPassword: string;
let loader: ClickHouseClient;
let analyst: ClickHouseClient;
let probe: Server;
let probeRequests = 0;

beforeAll(async () => {
  const owner = createWarehouseClient({ path: warehouseDir });
  await owner.command({ query: 'CREATE DATABASE IF NOT EXISTS raw' });
  await owner.command({ query: 'CREATE TABLE raw.listings (id UInt64, title String, price_cents Int64, created_at DateTime64(3)) ENGINE = MergeTree ORDER BY id' });
  await owner.insert({ table: 'raw.listings', values: Array.from({ length: 50 }, (_, i) => ({ id: i + 1, title: `bike ${i + 1}`, price_cents: (i + 1) * 100, created_at: '2026-12-01 10:00:00.000' })), format: 'JSONEachRow' });
  await owner.close();
  const users = new WarehouseUsers(join(dir.path, 'warehouse-users.json'));
  loaderPassword = users.addInMemory({ name: 'steveslist_loader', role: 'loader', limits: { maxResultRows: 0, maxExecutionSeconds: 0, maxConcurrentQueries: 16 } });
  analystPassword = users.add('ana', { maxResultRows: 1000, maxExecutionSeconds: 30, maxConcurrentQueries: 4 });
  tightPassword = users.add('tight', { maxResultRows: 10, maxExecutionSeconds: 30, maxConcurrentQueries: 1 });
  server = await serveWarehouseHttp({ dir: warehouseDir, host: '127.0.0.1', port: 0, users, confine: confineAnalystQuery, log: silentLogger() });
  loader = createClient({ url: server.url, username: 'steveslist_loader', password: loaderPassword });
  analyst = createClient({ url: server.url, username: 'ana', password: analystPassword });
  probe = createServer((_, res) => {
    probeRequests += 1;
    res.end('a,b\n1,2\n');
  });
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
});
afterAll(async () => {
  await loader?.close();
  await analyst?.close();
  await server?.close();
  probe?.close();
  dir.remove();
});

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const post = (sql: string, search = '', headers: Record<string, string> = {}) => fetch(`${server.url}/?${search}`, { method: 'POST', body: sql, headers: { authorization: basic('ana', analystPassword), ...headers } });

describe('the served warehouse', () => {
  it('answers /ping and GET / like ClickHouse', async () => {
    expect(await (await fetch(`${server.url}/ping`)).text()).toBe('Ok.\n');
    expect(await (await fetch(`${server.url}/`)).text()).toBe('Ok.\n');
  });

  it('serves an analyst through @clickhouse/client: joins, window functions, the warehouse\'s columns', async () => {
    const rows = await analyst.query({
      query: `SELECT id, price_cents, sum(price_cents) OVER (ORDER BY id) AS running
              FROM raw.listings AS l JOIN (SELECT number + 1 AS id FROM numbers(3)) AS n USING id ORDER BY id`,
      format: 'JSONEachRow',
    }).then((r) => r.json<{ id: string; running: string }>());
    expect(rows.map((r) => Number(r.running))).toEqual([100, 300, 600]);
    const columns = await analyst.query({ query: "SELECT name, type FROM system.columns WHERE database = 'raw' AND table = 'listings' ORDER BY position", format: 'JSONEachRow' }).then((r) => r.json<{ name: string }>());
    expect(columns.map((c) => c.name)).toEqual(['id', 'title', 'price_cents', 'created_at']);
    // The catalog shows the warehouse's databases only.
    const databases = await analyst.query({ query: 'SELECT DISTINCT database FROM system.tables ORDER BY database', format: 'JSONEachRow' }).then((r) => r.json<{ database: string }>());
    expect(databases.map((d) => d.database)).toEqual(['raw']);
  });

  it('binds query parameters and takes the database from the request', async () => {
    const rows = await analyst.query({ query: 'SELECT title FROM raw.listings WHERE id = {id:UInt64}', query_params: { id: 7 }, format: 'JSONEachRow' }).then((r) => r.json<{ title: string }>());
    expect(rows).toEqual([{ title: 'bike 7' }]);
  });

  it('answers CSVWithNames, Parquet and ArrowStream from the FORMAT clause, with ClickHouse\'s headers', async () => {
    const csv = await post('SELECT id, title FROM raw.listings WHERE id <= 2 ORDER BY id FORMAT CSVWithNames', 'query_id=q-csv');
    expect(csv.status).toBe(200);
    expect(await csv.text()).toBe('"id","title"\n1,"bike 1"\n2,"bike 2"\n');
    expect(csv.headers.get('x-clickhouse-format')).toBe('CSVWithNames');
    expect(csv.headers.get('x-clickhouse-query-id')).toBe('q-csv');
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(JSON.parse(csv.headers.get('x-clickhouse-summary')!)).toMatchObject({ read_rows: expect.any(String), elapsed_ns: expect.any(String) });

    const parquet = Buffer.from(await (await post('SELECT * FROM raw.listings FORMAT Parquet')).arrayBuffer());
    expect(parquet.subarray(0, 4).toString()).toBe('PAR1');

    const arrow = tableFromIPC(new Uint8Array(await (await post('SELECT id, title FROM raw.listings ORDER BY id FORMAT ArrowStream', 'output_format_arrow_compression_method=none')).arrayBuffer()));
    expect(arrow.numRows).toBe(50);
    expect(String(arrow.getChild('title')!.get(0))).toBe('bike 1');
  });

  it('compresses the answer when asked and reads a compressed request', async () => {
    const response = await post('SELECT count() FROM raw.listings', 'enable_http_compression=1', { 'accept-encoding': 'gzip' });
    expect(response.headers.get('content-encoding')).toBe('gzip');
    expect(await response.text()).toBe('50\n');
    const compressed = await fetch(`${server.url}/`, { method: 'POST', body: gzipSync('SELECT 40 + 2'), headers: { authorization: basic('ana', analystPassword), 'content-encoding': 'gzip' } });
    expect(await compressed.text()).toBe('42\n');
    expect(gunzipSync(gzipSync('x')).toString()).toBe('x');
  });

  it('refuses an analyst\'s request body over a megabyte, and an unknown Content-Encoding, as ClickHouse errors', async () => {
    const big = await post(`SELECT '${'x'.repeat(1_100_000)}'`);
    expect(big.status).toBe(413);
    expect(big.headers.get('x-clickhouse-exception-code')).toBe('301');
    const odd = await post('SELECT 1', '', { 'content-encoding': 'lzma' });
    expect(odd.status).toBe(500);
    expect(await odd.text()).toMatch(/^Code: 336\. DB::Exception: Unknown Content-Encoding: lzma/);
  });

  it('refuses settings and formats that would read, write or fetch on the server, by parameter or header', async () => {
    const port = (probe.address() as AddressInfo).port;
    const usersFile = join(dir.path, 'warehouse-users.json');
    const before = readFileSync(usersFile, 'utf8');
    const attempts: [string, string, Record<string, string>?][] = [
      ['SELECT 1', 'default_format=Template&format_template_row=%2Fetc%2Fpasswd'],
      ['SELECT 1', 'format_template_resultset=%2Fetc%2Fpasswd'],
      ['SELECT 1', '', { 'x-clickhouse-format': 'Template' }],
      ['SELECT 1 AS a', `default_format=Protobuf&format_protobuf_use_autogenerated_schema=1&output_format_schema=${encodeURIComponent(usersFile)}`],
      ["SELECT * FROM format(AvroConfluent, 'a String', unhex('0000000001020304'))", `format_avro_schema_registry_url=${encodeURIComponent(`http://127.0.0.1:${port}/ssrf`)}`],
      ["SELECT * FROM format(CSV, 'a String', 'x')", ''],
      ['SELECT 1', 'max_block_size=1'],
    ];
    for (const [sql, search, headers] of attempts) {
      const response = await post(sql, search, headers);
      const text = await response.text();
      expect(response.status, `${sql} ? ${search}`).toBeGreaterThanOrEqual(400);
      expect(response.status, `${sql} ? ${search}`).toBeLessThan(500);
      expect(text).not.toContain('root:');
    }
    expect(readFileSync(usersFile, 'utf8')).toBe(before);
    expect(probeRequests).toBe(0);
  });

  it('gives an analyst\'s query bounds on memory, result size and threads', async () => {
    const rows = await analyst.query({ query: "SELECT getSetting('max_memory_usage') AS m, getSetting('max_result_bytes') AS b, getSetting('max_threads') AS t", format: 'JSONEachRow' }).then((r) => r.json<{ m: string; b: string; t: string }>());
    expect(Number(rows[0]!.m)).toBe(2 * 1024 ** 3);
    expect(Number(rows[0]!.b)).toBe(1024 ** 3);
    expect(Number(rows[0]!.t)).toBeGreaterThanOrEqual(1);
  });

  it('refuses a compressed body that inflates past the limit', async () => {
    const bomb = gzipSync(Buffer.concat([Buffer.from("SELECT '"), Buffer.alloc(8 * 1024 * 1024, 'a'), Buffer.from("'")]));
    expect(bomb.length).toBeLessThan(1024 * 1024);
    const response = await fetch(`${server.url}/`, { method: 'POST', body: bomb, headers: { authorization: basic('ana', analystPassword), 'content-encoding': 'gzip' } });
    expect(response.status).toBe(413);
    expect(response.headers.get('x-clickhouse-exception-code')).toBe('301');
  });

  it('refuses a wrong password as ClickHouse does (401, code 516), by any way of sending it', async () => {
    for (const headers of [{ authorization: basic('ana', 'wrong') }, { 'x-clickhouse-user': 'ana', 'x-clickhouse-key': 'wrong' }, {}] as Record<string, string>[]) {
      const response = await fetch(`${server.url}/?query=SELECT%201`, { headers });
      expect(response.status).toBe(401);
      expect(response.headers.get('x-clickhouse-exception-code')).toBe('516');
      expect(await response.text()).toMatch(/^Code: 516\. DB::Exception: .*Authentication failed/);
    }
    const viaHeaders = await fetch(`${server.url}/?query=SELECT%201`, { headers: { 'x-clickhouse-user': 'ana', 'x-clickhouse-key': analystPassword } });
    expect(await viaHeaders.text()).toBe('1\n');
    await expect(createClient({ url: server.url, username: 'ana', password: 'nope' }).query({ query: 'SELECT 1' })).rejects.toMatchObject({ code: '516' });
  });

  it('gives an analyst\'s write ClickHouse\'s readonly error while the loader goes on writing', async () => {
    await expect(analyst.command({ query: 'INSERT INTO raw.listings (id) VALUES (999)' })).rejects.toMatchObject({ code: expect.stringMatching(/^(164|497)$/) });
    await expect(analyst.command({ query: 'DROP TABLE raw.listings' })).rejects.toThrow();
    await loader.insert({ table: 'raw.listings', values: [{ id: 51, title: 'bike 51', price_cents: 5100, created_at: '2026-12-06T10:00:00Z' }], format: 'JSONEachRow', clickhouse_settings: { date_time_input_format: 'best_effort' } });
    const count = await loader.query({ query: 'SELECT count() AS n FROM raw.listings', format: 'JSONEachRow' }).then((r) => r.json<{ n: string }>());
    expect(Number(count[0]!.n)).toBe(51);
  });

  it('takes the loader\'s TabSeparated rows in the request body, as a ClickHouse server does', async () => {
    // The rows as the warehouse loader writes them (raw-tsv.ts), a tab and a newline in a title among them.
    await insertTsv(loader, 'listings', ['id', 'title', 'price_cents', 'created_at'], Buffer.from('61\tbike\\twith\\ttabs\t6100\t2026-12-06 10:00:00.000\n62\tline\\nbreak\t6200\t2026-12-06T11:00:00Z\n'));
    const rows = await loader.query({ query: 'SELECT id, title, toString(created_at) AS at FROM raw.listings WHERE id > 60 ORDER BY id', format: 'JSONEachRow' }).then((r) => r.json());
    expect(rows).toEqual([{ id: 61, title: 'bike\twith\ttabs', at: '2026-12-06 10:00:00.000' }, { id: 62, title: 'line\nbreak', at: '2026-12-06 11:00:00.000' }]);
  });

  it('keeps every request\'s settings to itself', async () => {
    const analystSees = await analyst.query({ query: "SELECT getSetting('output_format_json_quote_64bit_integers') AS q, getSetting('max_result_rows') AS r", format: 'JSONEachRow', clickhouse_settings: { output_format_json_quote_64bit_integers: 1 } }).then((r) => r.json<{ q: boolean; r: number }>());
    expect(analystSees[0]).toEqual({ q: true, r: 1000 });
    const loaderSees = await loader.query({ query: "SELECT getSetting('readonly') AS ro, getSetting('max_result_rows') AS r, getSetting('output_format_json_quote_64bit_integers') AS q", format: 'JSONEachRow' }).then((r) => r.json<{ ro: number; r: number; q: boolean }>());
    expect(loaderSees[0]).toEqual({ ro: 0, r: 0, q: false });
  });

  it('refuses settings that would lift an analyst\'s limits, naming the setting', async () => {
    for (const [setting, value] of [['readonly', '0'], ['max_result_rows', '0'], ['max_result_rows', '5000'], ['max_execution_time', '3600'], ['max_memory_usage', '0'], ['allow_experimental_analyzer', '0'], ['result_overflow_mode', 'break']] as const) {
      const response = await post('SELECT 1', `${setting}=${value}`);
      expect(response.status, setting).toBe(403);
      expect(await response.text()).toContain(`'${setting}'`);
    }
  });

  it('stops a result past the user\'s row limit with ClickHouse\'s row-limit error, never a cut result', async () => {
    const tight = createClient({ url: server.url, username: 'tight', password: tightPassword });
    try {
      await expect(tight.query({ query: 'SELECT number FROM numbers(11)', format: 'JSONEachRow' }).then((r) => r.json())).rejects.toMatchObject({ code: '396' });
      expect(await tight.query({ query: 'SELECT number FROM numbers(10)', format: 'JSONEachRow' }).then((r) => r.json())).toHaveLength(10);
    } finally {
      await tight.close();
    }
  });

  it('refuses a user\'s query past its concurrency limit (code 202) and serves it again after', async () => {
    const auth = { authorization: basic('tight', tightPassword) };
    const slow = fetch(`${server.url}/`, { method: 'POST', body: 'SELECT sleep(1)', headers: auth });
    await new Promise((r) => setTimeout(r, 200));
    const refused = await fetch(`${server.url}/`, { method: 'POST', body: 'SELECT 1', headers: auth });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('x-clickhouse-exception-code')).toBe('202');
    expect((await slow).status).toBe(200);
    expect(await (await fetch(`${server.url}/`, { method: 'POST', body: 'SELECT 1', headers: auth })).text()).toBe('1\n');
  });

  it('refuses an analyst\'s table function that reaches out: no request leaves, no file is read', async () => {
    const port = (probe.address() as AddressInfo).port;
    const viaUrl = await post(`SELECT * FROM url('http://127.0.0.1:${port}/probe', 'CSV', 'a String, b String')`);
    expect(viaUrl.status).toBeGreaterThanOrEqual(400);
    expect(viaUrl.status).toBeLessThan(500);
    expect(await viaUrl.text()).toMatch(/url/i);
    const viaFile = await post("SeLeCt * FrOm /* hidden */ FILE('/etc/passwd', 'LineAsString')");
    expect(viaFile.status).toBeGreaterThanOrEqual(400);
    expect(await viaFile.text()).not.toContain('root:');
    const multi = await post("SELECT 1; SELECT * FROM file('/etc/passwd', 'LineAsString')");
    expect(await multi.text()).not.toContain('root:');
    expect(probeRequests).toBe(0);
  });
});
