// A call's settings on the embedded warehouse hold for that call only: whatever one caller asks
// for (a read-only analyst, a format option) never changes what the next caller can do.
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/fixtures/temp-dir.js';
import { createWarehouseClient, type ClickHouseClient } from '../client.js';
import { bodyInsertTarget, settingsToReset } from './scoped-settings-connection.js';

const dir = tempDir();
let client: ClickHouseClient;

beforeAll(async () => {
  client = createWarehouseClient({ path: join(dir.path, 'warehouse') });
  await client.command({ query: 'CREATE TABLE IF NOT EXISTS default.loaded (id UInt32, at DateTime) ENGINE = MergeTree ORDER BY id' });
});
afterAll(async () => {
  await client?.close();
  dir.remove();
});

const setting = async (name: string) => (await client.query({ query: `SELECT getSetting('${name}') AS v`, format: 'JSONEachRow' }).then((r) => r.json<{ v: string }>()))[0]!.v;

describe('the embedded warehouse client', () => {
  it('ends a call\'s settings with the call', async () => {
    const before = [await setting('max_result_rows'), await setting('date_time_input_format')];
    const inside = await client.query({ query: "SELECT getSetting('max_result_rows') AS rows, getSetting('date_time_input_format') AS input", format: 'JSONEachRow', clickhouse_settings: { max_result_rows: '7', date_time_input_format: 'best_effort' } }).then((r) => r.json<{ rows: string; input: string }>());
    expect([String(inside[0]!.rows), inside[0]!.input]).toEqual(['7', 'best_effort']);
    expect([await setting('max_result_rows'), await setting('date_time_input_format')]).toEqual(before);
  });

  it('keeps inserting after a caller asked for limits and its query failed on them', async () => {
    await expect(client.query({ query: 'SELECT number FROM numbers(10)', format: 'JSONEachRow', clickhouse_settings: { max_result_rows: '5', result_overflow_mode: 'throw' } }).then((r) => r.json())).rejects.toThrow(/Limit for result exceeded/);
    await client.insert({ table: 'default.loaded', values: [{ id: 1, at: '2026-12-06 10:00:00' }], format: 'JSONEachRow', clickhouse_settings: { date_time_input_format: 'best_effort' } });
    const rows = await client.query({ query: 'SELECT count() AS n FROM numbers(10)', format: 'JSONEachRow' }).then((r) => r.json<{ n: string }>());
    expect(Number(rows[0]!.n)).toBe(10);
  });

  it('refuses readonly as a per-call setting, which could never be reset on the session', async () => {
    await expect(client.query({ query: 'SELECT 1', clickhouse_settings: { readonly: '2' } })).rejects.toThrow(/readonly cannot be given per query/);
    await client.insert({ table: 'default.loaded', values: [{ id: 2, at: '2026-12-06 10:00:00' }], format: 'JSONEachRow' });
    const rows = await client.query({ query: 'SELECT count() AS n FROM default.loaded', format: 'JSONEachRow' }).then((r) => r.json<{ n: string }>());
    expect(Number(rows[0]!.n)).toBe(2);
  });

  it('keeps two clients of one folder apart: one\'s settings never reach the other', async () => {
    const other = createWarehouseClient({ path: join(dir.path, 'warehouse') });
    try {
      const [seen] = await Promise.all([
        other.query({ query: "SELECT getSetting('max_result_rows') AS v", format: 'JSONEachRow' }).then((r) => r.json<{ v: string }>()),
        client.query({ query: 'SELECT sleep(0.2)', format: 'JSONEachRow', clickhouse_settings: { max_result_rows: '3' } }).then((r) => r.json()),
      ]);
      expect(String(seen[0]!.v)).toBe('0');
      const count = await other.query({ query: 'SELECT count() AS n FROM default.loaded', format: 'JSONEachRow' }).then((r) => r.json<{ n: string }>());
      expect(Number(count[0]!.n)).toBe(2);
    } finally {
      await other.close();
    }
  });

  it('inserts a body given to exec as bytes, its settings holding for that insert alone', async () => {
    const before = await setting('date_time_input_format');
    const { stream } = await client.exec({
      query: 'INSERT INTO default.loaded FORMAT JSONEachRow', values: Readable.from([Buffer.from('{"id":3,"at":"2026-12-06T10:00:00Z"}\n{"id":4,"at":"2026-12-06T11:00:00Z"}\n')]),
      clickhouse_settings: { date_time_input_format: 'best_effort' },
    });
    stream.destroy();
    const rows = await client.query({ query: 'SELECT id, toString(at) AS at FROM default.loaded WHERE id > 2 ORDER BY id', format: 'JSONEachRow' }).then((r) => r.json());
    expect(rows).toEqual([{ id: 3, at: '2026-12-06 10:00:00' }, { id: 4, at: '2026-12-06 11:00:00' }]);
    expect(await setting('date_time_input_format')).toBe(before);
    expect(bodyInsertTarget('INSERT INTO raw.listings FORMAT JSONEachRow')).toEqual({ table: 'raw.listings', format: 'JSONEachRow' });
    expect(bodyInsertTarget('INSERT INTO raw.listings (id, name, _version) FORMAT TabSeparated')).toEqual({ table: 'raw.listings', columns: ['id', 'name', '_version'], format: 'TabSeparated' });
    expect(bodyInsertTarget('INSERT INTO raw.listings (id, `odd name`) FORMAT TabSeparated')).toBeUndefined();
    expect(bodyInsertTarget('INSERT INTO `raw`.`odd name` FORMAT JSONEachRow')).toBeUndefined();
  });

  it('names only settings that reach the session as the ones to reset', () => {
    expect(settingsToReset({ default_format: 'CSV', wait_end_of_query: 1, max_threads: 2, skip: undefined })).toEqual(['max_threads']);
  });
});
