import { cpSync, writeFileSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { newDatabaseUrl } from '../../test/fixtures/database.js';
import { tempDir } from '../../test/fixtures/temp-dir.js';
import { DEFAULT_EXCLUDED_COLUMNS } from '../../core/config/index.js';
import { MigrationError } from '../../core/errors.js';
import { connectMysql, type RowDataPacket } from '../mysql/connection.js';
import { loadMigrations, migrate, MIGRATIONS_DIR } from './migrate.js';

const TABLES = ['admin_audit', 'admin_sessions', 'admin_users', 'api_keys', 'cdc_signals', 'complaints', 'email_messages', 'job_runs', 'listing_checks', 'listing_text_hashes', 'listings', 'message_rate_limits', 'messages', 'order_payments', 'orders', 'outbox', 'payment_refunds', 'phone_verifications',
  'report_alerts', 'report_deliveries', 'report_subscriptions', 'saved_search_link_keys', 'saved_search_matches', 'saved_searches', 'schema_migrations', 'signup_addresses', 'sms_messages', 'sms_status_events', 'stripe_events', 'user_checks', 'user_credentials', 'user_phones', 'user_sessions', 'user_warnings', 'users', 'webhook_deliveries', 'webhook_delivery_attempts', 'webhook_endpoints'];

const dirs: { remove(): void }[] = [];
afterAll(() => dirs.forEach((d) => d.remove()));

async function columns(url: string, database: string) {
  const connection = await connectMysql(url);
  try {
    const [rows] = await connection.query<RowDataPacket[]>(
      'SELECT table_name AS t, column_name AS c, data_type AS type, character_set_name AS charset, datetime_precision AS dp FROM information_schema.columns WHERE table_schema = ?',
      [database],
    );
    return rows;
  } finally {
    await connection.end();
  }
}

describe('migrations', () => {
  it('create the database and every table from empty, then have nothing left to do', async () => {
    const { url, name } = newDatabaseUrl();
    const first = await migrate(url);
    expect(first.applied.map((m) => m.version)).toEqual(loadMigrations().map((m) => m.version));

    const cols = await columns(url, name);
    expect([...new Set(cols.map((c) => c.t))].sort()).toEqual(TABLES);
    // utf8mb4 throughout, and every timestamp keeps microseconds.
    expect(cols.filter((c) => c.charset && c.charset !== 'utf8mb4')).toEqual([]);
    expect(cols.filter((c) => c.type === 'datetime' && Number(c.dp) !== 6)).toEqual([]);
    // A secret column renamed by a migration would otherwise leave capture's default exclusion behind and reach the bus.
    const names = new Set(cols.map((c) => `${c.t}.${c.c}`));
    expect(DEFAULT_EXCLUDED_COLUMNS.filter((column) => !names.has(column))).toEqual([]);

    // Cascading foreign keys change rows without binlog row events: change capture would miss them.
    const connection = await connectMysql(url);
    const [rules] = await connection.query<RowDataPacket[]>(
      "SELECT CONSTRAINT_NAME AS name FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ? AND (DELETE_RULE NOT IN ('RESTRICT', 'NO ACTION') OR UPDATE_RULE NOT IN ('RESTRICT', 'NO ACTION'))",
      [name],
    );
    await connection.end();
    expect(rules).toEqual([]);

    const second = await migrate(url);
    expect(second).toEqual({ applied: [], alreadyApplied: first.applied.length });
  });

  it('runs safely from several processes at once', async () => {
    const { url } = newDatabaseUrl();
    const results = await Promise.all([migrate(url), migrate(url), migrate(url)]);
    expect(results.reduce((sum, r) => sum + r.applied.length, 0)).toBe(loadMigrations().length);
  });

  it('refuses a migration file edited after it was applied', async () => {
    const dir = tempDir();
    dirs.push(dir);
    cpSync(MIGRATIONS_DIR, dir.path, { recursive: true });
    const { url } = newDatabaseUrl();
    await migrate(url, { dir: dir.path });
    appendFileSync(join(dir.path, '003_listings.sql'), '\nALTER TABLE listings ADD COLUMN sneaky INT;\n');
    await expect(migrate(url, { dir: dir.path })).rejects.toThrow(/003_listings\.sql was changed after it was applied/);
  });

  it('applies a new migration added later, and names a broken one', async () => {
    const dir = tempDir();
    dirs.push(dir);
    cpSync(MIGRATIONS_DIR, dir.path, { recursive: true });
    const { url } = newDatabaseUrl();
    await migrate(url, { dir: dir.path });
    writeFileSync(join(dir.path, '900_add_listing_views.sql'), 'ALTER TABLE listings ADD COLUMN views INT UNSIGNED NOT NULL DEFAULT 0;\n');
    expect((await migrate(url, { dir: dir.path })).applied.map((m) => m.name)).toEqual(['add_listing_views']);
    writeFileSync(join(dir.path, '901_broken.sql'), 'ALTER TABLE no_such_table ADD COLUMN x INT;\n');
    const error = await migrate(url, { dir: dir.path }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MigrationError);
    expect((error as Error).message).toMatch(/^migration 901_broken failed: .*no_such_table/);
  });
});
