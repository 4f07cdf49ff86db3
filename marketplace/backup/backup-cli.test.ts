// `steveslist backup` as an operator runs it, as a child process against a real MariaDB.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAlive, terminate } from '../../core/process-control.js';
import { createTestDatabase, newDatabaseUrl, type TestDatabase } from '../../test/fixtures/database.js';
import { runCli } from '../../test/fixtures/run-cli.js';
import { tempDir } from '../../test/fixtures/temp-dir.js';
import { connectMysql, type RowDataPacket } from '../mysql/connection.js';

const dir = tempDir();
let db: TestDatabase;
let env: Record<string, string>;

async function names(url: string): Promise<string[]> {
  const connection = await connectMysql(url);
  try {
    const [rows] = await connection.query<RowDataPacket[]>('SELECT name FROM users ORDER BY id');
    return rows.map((row) => String(row.name));
  } finally {
    await connection.end();
  }
}

beforeAll(async () => {
  db = await createTestDatabase('backupcli');
  env = { MYSQL_URL: db.url, DATA_DIR: join(dir.path, 'data'), BACKUP_DIR: join(dir.path, 'backups'), LOG_LEVEL: 'warn' };
  await db.pool.query("INSERT INTO users (email, name) VALUES ('a@example.com', 'Ada'), ('b@example.com', 'Bo')");
});
afterAll(async () => {
  await db?.close();
  dir.remove();
});

describe('steveslist backup', () => {
  let id: string;

  it('creates a backup with progress, and lists it', async () => {
    const created = await runCli(['backup', 'create'], env);
    expect(created.code).toBe(0);
    id = /^backup (\d{8}T\d{6}Z): \d+ tables, \d+ rows, [\d.]+ MB, sha256 [0-9a-f]{64}; \d+ binlog\(s\) archived$/m.exec(created.stdout)![1]!;
    expect(created.stderr).toMatch(/backup \S+ \(bytes dumped\): \d+/);
    const listed = await runCli(['backup', 'list'], env);
    expect(listed.stdout).toContain(`${id}  ${db.name}  `);
    expect(listed.stdout).toMatch(/1 backup\(s\) in .*; \d+ archived binlog\(s\)/);
  });

  it('restores to a point in time into another database, and refuses the live one', async () => {
    await db.pool.query("INSERT INTO users (email, name) VALUES ('c@example.com', 'Cy')");
    await new Promise((resolve) => setTimeout(resolve, 1100 - (Date.now() % 1000)));
    const at = new Date().toISOString();
    await new Promise((resolve) => setTimeout(resolve, 1100 - (Date.now() % 1000)));
    await db.pool.query("INSERT INTO users (email, name) VALUES ('d@example.com', 'Di')");

    const target = newDatabaseUrl('cliback');
    const restored = await runCli(['backup', 'restore', '--at', at, '--into', target.url], env);
    expect(restored.stdout).toContain(`restored backup ${id} and the binlog to ${at} into ${target.name}`);
    expect(restored.code).toBe(0);
    expect(restored.stderr).toMatch(/restore \S+: replay to/);
    expect(await names(target.url)).toEqual(['Ada', 'Bo', 'Cy']);

    const live = await runCli(['backup', 'restore', '--into', db.url], env);
    expect(live).toMatchObject({ code: 2, stderr: `steveslist: --into: that is the live database ${db.name}; restore elsewhere and compare, or add --force to overwrite it\n` });
    const vague = await runCli(['backup', 'restore', '--at', 'yesterday'], env);
    expect(vague.code).toBe(2);
    expect(vague.stderr).toMatch(/^steveslist: --at: expected an ISO 8601 time with its zone/);
  });

  it('restores into a new private MariaDB that keeps running for inspection', async () => {
    const restored = await runCli(['backup', 'restore', id], env);
    expect(restored.code).toBe(0);
    const pid = Number(/kill (\d+)/.exec(restored.stdout)![1]);
    const port = Number(/on 127\.0\.0\.1:(\d+)/.exec(restored.stdout)![1]);
    const secret = /password in (\S+secret\.json)/.exec(restored.stdout)![1]!;
    try {
      const password = (JSON.parse(readFileSync(secret, 'utf8')) as { rootPassword: string }).rootPassword;
      expect(restored.stdout).not.toContain(password);
      expect(await names(`mysql://root:${encodeURIComponent(password)}@127.0.0.1:${port}/${db.name}`)).toEqual(['Ada', 'Bo']);
    } finally {
      await terminate(pid);
    }
    expect(isAlive(pid)).toBe(false);
  });

  it('verifies a backup in full, and names a damaged file in one line', async () => {
    const verified = await runCli(['backup', 'verify', id, '--full'], env);
    expect(verified).toMatchObject({ code: 0 });
    expect(verified.stdout).toContain(`backup ${id}: restored into a scratch server: every table has its rows`);
    const dump = join(env.BACKUP_DIR!, id, 'dump.sql.gz');
    writeFileSync(dump, readFileSync(dump).subarray(0, 64));
    const damaged = await runCli(['backup', 'verify', id], env);
    expect(damaged.code).toBe(1);
    expect(damaged.stderr).toMatch(new RegExp(`^steveslist: ${dump.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is damaged: 64 bytes where the manifest says \\d+ \\(truncated or appended to\\)\\n$`));
  });
});
