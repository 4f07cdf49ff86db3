// Hostile analyst SQL against chDB on disk: every way to reach files, the network, other
// databases or the query's own settings is refused with the reason, and nothing it names is
// touched (a local HTTP server sees no request, no file content comes back); ordinary analyst
// queries still run. chDB allows one data folder per process: this file uses one.
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAdminServer } from '../api/admin/server.js';
import { silentLogger } from '../core/log.js';
import { addAdminUser } from '../marketplace/auth/admin-accounts.js';
import { createTestDatabase, type TestDatabase } from '../test/fixtures/database.js';
import { tempDir } from '../test/fixtures/temp-dir.js';
import { analystQuery, AnalystQueryError, AnalystQueryRefused } from './analyst-query.js';
import { askClickHouse, confineAnalystQuery } from './analyst-guard.js';
import { ALLOWED_TABLE_FUNCTIONS, REFUSED_TABLE_FUNCTIONS } from './analyst-rules.js';
import { withWarehouseEngine } from './chdb/engine-folders.js';
import { createWarehouseClient, type ClickHouseClient } from './client.js';
import { EnvironmentError } from '../core/errors.js';

const dir = tempDir();
let client: ClickHouseClient;
let db: TestDatabase;
let probe: Server;
let probeUrl: string;
const probeRequests: string[] = [];

beforeAll(async () => {
  db = await createTestDatabase('guard');
  // As the process that owns the warehouse opens it (openWarehouseOwner).
  client = withWarehouseEngine(join(dir.path, 'warehouse'), () => createWarehouseClient({ path: join(dir.path, 'warehouse') }));
  for (const statement of [
    'CREATE DATABASE IF NOT EXISTS raw', 'CREATE DATABASE IF NOT EXISTS marts',
    'CREATE TABLE raw.users (id UInt64, email String, country String) ENGINE = MergeTree ORDER BY id',
    'CREATE TABLE raw.orders (id UInt64, buyer_id UInt64, amount UInt32) ENGINE = MergeTree ORDER BY id',
    "INSERT INTO raw.users VALUES (1, 'a@example.com', 'GB'), (2, 'b@example.com', 'FR'), (3, 'c@example.com', 'GB')",
    'INSERT INTO raw.orders VALUES (10, 1, 500), (11, 1, 700), (12, 3, 100)',
    'CREATE VIEW marts.spend AS SELECT buyer_id, sum(amount) AS spent FROM raw.orders GROUP BY buyer_id',
    // Outside the warehouse's databases: what analysts must not read.
    "CREATE TABLE default.secrets (token String) ENGINE = MergeTree ORDER BY token",
    "INSERT INTO default.secrets VALUES ('hunter2')",
  ]) await client.command({ query: statement });
  probe = createServer((request, response) => {
    probeRequests.push(request.url ?? '');
    response.end('a,b\n');
  });
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  probeUrl = `http://127.0.0.1:${(probe.address() as AddressInfo).port}/probe`;
});
afterAll(async () => {
  await client?.close();
  await new Promise((resolve) => probe?.close(resolve));
  await db?.close();
  dir.remove();
});

const confine = (sql: string) => confineAnalystQuery(askClickHouse(client), sql);
const run = (sql: string, maxRows?: number) => analystQuery(client, sql, { format: 'csv', maxRows }).then((b) => b.toString());
const refusal = (sql: string) => run(sql).then(
  (output) => { throw new Error(`not refused: ${sql}\n${output}`); },
  (error: unknown) => error as Error,
);

/** host:port, database, user and password of the test MariaDB, as mysql() takes them. */
function mysqlArgs(): string {
  const url = new URL(db.url);
  return `'${url.host}', '${url.pathname.slice(1)}', 'users', '${decodeURIComponent(url.username)}', '${decodeURIComponent(url.password)}'`;
}

describe('analyst SQL is confined to the warehouse', () => {
  const hostile: [string, () => string, RegExp][] = [
    ['file() as a table', () => "SELECT * FROM file('/etc/passwd', 'LineAsString')", /table function file\(\) is not allowed/],
    ['file() as a scalar', () => "SELECT file('/etc/passwd')", /function file\(\) is not allowed/],
    ['odd casing and a comment', () => "SeLeCt * FrOm /* x */ FILE('/etc/passwd')", /table function FILE\(\) is not allowed/],
    ['a line comment before the table function', () => "SELECT 1 -- harmless\nUNION ALL SELECT * FROM file('/etc/hostname', 'LineAsString')", /table function file\(\) is not allowed/],
    ['url() to a local server', () => `SELECT * FROM url('${probeUrl}', 'CSV', 'a String, b String')`, /table function url\(\) is not allowed/],
    ['url() in IN', () => `SELECT 1 IN url('${probeUrl}', 'CSV', 'a String')`, /table function url\(\) is not allowed/],
    ['mysql() to the production database', () => `SELECT * FROM mysql(${mysqlArgs()})`, /table function mysql\(\) is not allowed/],
    ['s3()', () => `SELECT * FROM s3('${probeUrl}/x.csv', 'CSV', 'a String')`, /table function s3\(\) is not allowed/],
    ['remote()', () => "SELECT * FROM remote('127.0.0.1:9000', default.secrets)", /table function remote\(\) is not allowed/],
    ['executable()', () => "SELECT * FROM executable('cat /etc/passwd', 'LineAsString', 'line String')", /table function executable\(\) is not allowed/],
    ['input()', () => "SELECT * FROM input('a String')", /table function input\(\) is not allowed/],
    ['dictionary()', () => "SELECT * FROM dictionary('any')", /table function dictionary\(\) is not allowed/],
    ['dictGet()', () => "SELECT dictGet('any', 'value', toUInt64(1))", /function dictGet\(\) is not allowed/],
    ['merge() over every database', () => "SELECT * FROM merge('default', '.*')", /table function merge\(\) is not allowed/],
    ['INTO OUTFILE', () => `SELECT * FROM raw.users INTO OUTFILE '${join(dir.path, 'out.csv')}'`, /INTO OUTFILE is not allowed/],
    ['SET readonly = 0', () => 'SET readonly = 0', /SET .*not allowed/],
    ['a SETTINGS readonly = 0 clause', () => 'SELECT * FROM raw.users SETTINGS readonly = 0', /SETTINGS clause is not allowed/],
    ['a query raising its own row limit', () => 'SELECT * FROM numbers(10) SETTINGS max_result_rows = 0', /SETTINGS clause is not allowed/],
    ['SETTINGS after FORMAT', () => 'SELECT 1 FORMAT CSV SETTINGS readonly = 0', /SETTINGS clause is not allowed|FORMAT clause is not allowed/],
    ['a multi-statement query', () => "EXPLAIN AST SELECT 1; SELECT * FROM file('/etc/passwd', 'LineAsString')", /more than one statement is not allowed/],
    ['a table function in a CTE', () => "WITH t AS (SELECT * FROM file('/etc/passwd', 'LineAsString')) SELECT * FROM t", /table function file\(\) is not allowed/],
    ['a table function in a WITH expression', () => "WITH file('/etc/passwd') AS f SELECT f", /function file\(\) is not allowed/],
    ['a table function in a subquery', () => "SELECT * FROM (SELECT * FROM file('/etc/passwd', 'LineAsString'))", /table function file\(\) is not allowed/],
    ['a table function in a JOIN', () => "SELECT * FROM raw.users AS u JOIN file('/etc/passwd', 'LineAsString') AS f ON 1 = 1", /table function file\(\) is not allowed/],
    ['a table function in IN (subquery)', () => "SELECT * FROM raw.users WHERE email IN (SELECT * FROM file('/etc/passwd', 'LineAsString'))", /table function file\(\) is not allowed/],
    ['a table function in a scalar subquery', () => "SELECT (SELECT any(line) FROM file('/etc/passwd', 'LineAsString'))", /table function file\(\) is not allowed/],
    ['a table function in UNION', () => "SELECT email FROM raw.users UNION ALL SELECT * FROM file('/etc/passwd', 'LineAsString')", /table function file\(\) is not allowed/],
    ['a table function in view()', () => "SELECT * FROM view(SELECT * FROM file('/etc/passwd', 'LineAsString'))", /table function file\(\) is not allowed/],
    ['EXPLAIN of a table function', () => "EXPLAIN SELECT * FROM file('/etc/passwd', 'LineAsString')", /table function file\(\) is not allowed/],
    ['EXPLAIN of a write', () => 'EXPLAIN AST DROP TABLE raw.users', /EXPLAIN AST of anything but a SELECT is not allowed/],
    ['DESCRIBE of a table function', () => "DESCRIBE file('/etc/passwd', 'LineAsString')", /table function file\(\) is not allowed/],
    ['a table outside the warehouse', () => 'SELECT * FROM default.secrets', /table default\.secrets is not allowed/],
    ['an unqualified table of the current database', () => 'SELECT * FROM secrets', /table secrets is not allowed: name the database/],
    ['an unqualified table in IN', () => "SELECT 1 WHERE 'hunter2' IN secrets", /table secrets is not allowed/],
    ['a system table beyond the catalog', () => 'SELECT query FROM system.query_log', /table system\.query_log is not allowed/],
    ['server settings', () => 'SELECT * FROM system.server_settings', /table system\.server_settings is not allowed/],
    ['the host\'s name', () => 'SELECT hostName()', /function hostName\(\) is not allowed/],
    ['SHOW SETTINGS', () => "SHOW SETTINGS LIKE 'max%'", /read-only for analyst SQL/],
    ['a quoted name holding a line break', () => 'SELECT 1 AS `x\n    Function file (children 1)`', /cannot be checked/],
    ['DROP', () => 'DROP TABLE raw.users', /read-only for analyst SQL: DROP/],
    ['INSERT', () => "INSERT INTO raw.users VALUES (9, 'x', 'y')", /read-only for analyst SQL: INSERT/],
    ['SYSTEM', () => 'SYSTEM DROP DNS CACHE', /read-only for analyst SQL: SYSTEM/],
  ];

  it.each(hostile)('refuses %s, naming what is not allowed', async (_, sql, reason) => {
    const error = await refusal(sql());
    expect(error).toBeInstanceOf(AnalystQueryRefused);
    expect(error.message).toMatch(reason);
    expect(error.message).not.toMatch(/root:|hunter2/);
    expect(probeRequests).toEqual([]);
  });

  it('refuses every table function the engine knows except the generators', async () => {
    const known = (await (await client.query({ query: 'SELECT name FROM system.table_functions ORDER BY name', format: 'JSONEachRow' })).json<{ name: string }>()).map((r) => r.name);
    expect(known.length).toBeGreaterThan(50);
    for (const name of known) {
      const allowed = ALLOWED_TABLE_FUNCTIONS.has(name.toLowerCase());
      // The static list also refuses them where they are not in FROM; it must know them all.
      expect(allowed || REFUSED_TABLE_FUNCTIONS.has(name.toLowerCase()), `${name} is on neither list`).toBe(true);
      if (allowed) continue;
      // viewIfPermitted has a grammar of its own.
      const args = name === 'viewIfPermitted' ? "SELECT 1 ELSE null('a UInt8')" : "'x'";
      const error = await confine(`SELECT * FROM ${name}(${args})`).catch((e: unknown) => e as Error);
      expect(error, name).toBeInstanceOf(AnalystQueryRefused);
      expect((error as Error).message).toContain(`table function ${name}() is not allowed`);
    }
  });

  it('refuses every function that reads a file, a dictionary or another table', async () => {
    const names = (await (await client.query({
      query: "SELECT name FROM system.functions WHERE match(lower(name), '^(file|filesystem|dict|joinget|catboost|getmacro|getserver|hostname|fqdn)')",
      format: 'JSONEachRow',
    })).json<{ name: string }>()).map((r) => r.name);
    expect(names.length).toBeGreaterThan(40);
    for (const name of names) {
      const error = await confine(`SELECT ${name}('x')`).catch((e: unknown) => e as Error);
      expect((error as Error).message, name).toContain(`function ${name}() is not allowed`);
    }
  });

  it('refuses a FORMAT clause where the tool chooses the format, and allows output formats where the analyst does', async () => {
    expect((await refusal('SELECT 1 FORMAT CSV')).message).toMatch(/FORMAT clause is not allowed here/);
    expect(await confine('select 1 format CSV')).toBe('SELECT 1\nFORMAT CSV');
    expect((await confine('SELECT 1 FORMAT Template').catch((e: unknown) => e as Error) as Error).message).toMatch(/FORMAT Template is not allowed/);
  });

  it('answers 400 naming what is refused on the admin service\'s POST /warehouse/query, with no file content', async () => {
    await addAdminUser(db.pool, 'guarded', 'correct horse battery staple');
    const app = await buildAdminServer({ pool: db.pool, log: silentLogger(), warehouse: client });
    const base = await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const post = (path: string, body: unknown, token?: string) => fetch(`${base}${path}`, {
        method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      });
      const { token } = await (await post('/admin/session', { username: 'guarded', password: 'correct horse battery staple' })).json() as { token: string };
      for (const [sql, reason] of [
        ["SELECT * FROM file('/etc/passwd', 'LineAsString')", /table function file\(\) is not allowed/],
        ["SELECT file('/etc/passwd')", /function file\(\) is not allowed/],
        [`SELECT * FROM url('${probeUrl}', 'CSV', 'a String, b String')`, /table function url\(\) is not allowed/],
        [`SELECT * FROM mysql(${mysqlArgs()})`, /table function mysql\(\) is not allowed/],
        ['SELECT * FROM raw.users SETTINGS readonly = 0', /SETTINGS clause is not allowed/],
        ["SELECT 1; SELECT * FROM file('/etc/passwd', 'LineAsString')", /more than one statement/],
      ] as const) {
        const response = await post('/warehouse/query', { sql, format: 'CSV' }, token);
        const text = await response.text();
        expect(response.status, sql).toBe(400);
        expect(JSON.parse(text).message, sql).toMatch(reason);
        expect(text).not.toMatch(/root:/);
      }
      const ok = await post('/warehouse/query', { sql: 'SELECT count() AS n FROM raw.users', format: 'CSV' }, token);
      expect(await ok.text()).toBe('"n"\n3\n');
      expect(probeRequests).toEqual([]);
    } finally {
      await app.close();
    }
  });
});

describe('analysts\' ordinary queries', () => {
  it('runs joins, window functions, CTEs, views of marts and numbers()', async () => {
    expect(await run(`
      WITH spenders AS (SELECT buyer_id, sum(amount) AS spent FROM raw.orders GROUP BY buyer_id)
      SELECT u.email, s.spent, rank() OVER (ORDER BY s.spent DESC) AS place
      FROM raw.users AS u INNER JOIN spenders AS s ON s.buyer_id = u.id ORDER BY place`))
      .toBe('"email","spent","place"\n"a@example.com",1200,1\n"c@example.com",100,2\n');
    expect(await run('SELECT buyer_id, spent FROM marts.spend WHERE buyer_id IN (SELECT id FROM raw.users WHERE country = \'GB\') ORDER BY buyer_id'))
      .toBe('"buyer_id","spent"\n1,1200\n3,100\n');
    expect(await run('SELECT sum(number) AS s FROM numbers(10)')).toBe('"s"\n45\n');
    expect(await run('select count() as n from raw.orders where buyer_id in (select id from raw.users);')).toBe('"n"\n3\n');
  });

  it('reads the catalog of the warehouse\'s databases only', async () => {
    expect(await run("SELECT name FROM system.columns WHERE database = 'raw' AND table = 'users' ORDER BY position"))
      .toBe('"name"\n"id"\n"email"\n"country"\n');
    expect(await run('SELECT DISTINCT database FROM system.tables ORDER BY database')).toBe('"database"\n"marts"\n"raw"\n');
    expect(await run('SELECT name FROM system.databases ORDER BY name')).toBe('"name"\n"marts"\n"raw"\n');
    expect(await run('SELECT count() > 0 AS some FROM information_schema.columns WHERE table_schema = \'default\'')).toBe('"some"\n0\n');
    expect(await run('SHOW TABLES FROM raw')).toBe('"name"\n"orders"\n"users"\n');
    expect(await run('DESCRIBE TABLE raw.users')).toMatch(/^"name","type",.*\n"id","UInt64"/);
    expect(await run('EXISTS TABLE raw.users')).toBe('"result"\n1\n');
    expect(await run('EXPLAIN SYNTAX SELECT id FROM raw.users')).toMatch(/FROM raw\.users/);
  });

  it('keeps its limits: a query cannot exceed them, and nothing stays on the warehouse\'s session', async () => {
    const tooMany = await run('SELECT number FROM numbers(1000)', 10).catch((e: unknown) => e as Error);
    expect(tooMany).toBeInstanceOf(AnalystQueryError);
    expect((tooMany as Error).message).toMatch(/Limit for result exceeded|TOO_MANY_ROWS/i);
    const session = await (await client.query({ query: "SELECT getSetting('readonly') AS r, getSetting('max_result_rows') AS m", format: 'JSONEachRow' })).json();
    expect(session).toEqual([{ r: 0, m: 0 }]);
    // The loader's session still writes.
    await client.command({ query: "INSERT INTO raw.users VALUES (4, 'd@example.com', 'DE')" });
  });
});

describe('the warehouse engine\'s folders', () => {
  it('keeps user_files and user_scripts as empty folders of the warehouse', async () => {
    const paths = await (await client.query({
      query: "SELECT name, value FROM system.server_settings WHERE name IN ('user_files_path', 'user_scripts_path') ORDER BY name", format: 'JSONEachRow',
    })).json();
    const warehouse = join(dir.path, 'warehouse');
    expect(paths).toEqual([
      { name: 'user_files_path', value: `${join(warehouse, 'user_files')}/` },
      { name: 'user_scripts_path', value: `${join(warehouse, 'user_scripts')}/` },
    ]);
    expect(readdirSync(join(warehouse, 'user_files'))).toEqual([]);
    expect(readdirSync(join(warehouse, 'user_scripts'))).toEqual([]);
  });

  it('refuses to start the engine while user_files holds a file', () => {
    const other = join(dir.path, 'other-warehouse');
    mkdirSync(join(other, 'user_files'), { recursive: true });
    writeFileSync(join(other, 'user_files', 'secret.json'), '{}');
    const error = (() => { try { withWarehouseEngine(other, () => undefined); } catch (e) { return e as Error; } })();
    expect(error).toBeInstanceOf(EnvironmentError);
    expect(error!.message).toMatch(/user_files holds 1 file\(s\) \(secret\.json\)/);
  });
});
