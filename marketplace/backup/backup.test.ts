// Backups against a real MariaDB: a backup, then inserts, updates and deletes, then a restore to a
// moment in between gives exactly the rows of that moment; a plain restore gives the backup's
// rows; a full verify restores into a scratch server; damaged files are named.
import { cpSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackupCorrupted, UsageError } from '../../core/errors.js';
import { silentLogger } from '../../core/log.js';
import { createTestDatabase, newDatabaseUrl, type TestDatabase } from '../../test/fixtures/database.js';
import { tempDir } from '../../test/fixtures/temp-dir.js';
import { connectMysql, type RowDataPacket } from '../mysql/connection.js';
import { archiveBinlogs, archivedBinlogs, binlogDir } from './archive-binlogs.js';
import { createBackup } from './create-backup.js';
import { listBackups, type BackupManifest } from './manifest.js';
import { restoreBackup } from './restore-backup.js';
import { compareDigests, digestDatabase, verifyBackup } from './verify-backup.js';

const dir = tempDir();
const backupDir = join(dir.path, 'backups');
const log = silentLogger();
const quiet = { write: () => true } as unknown as NodeJS.WritableStream;
let db: TestDatabase;
let backup: BackupManifest;
let sellerId: number;

/** Waits until a new wall-clock second has begun (binlog times have one-second resolution). */
async function nextSecond(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 20));
}

async function listingsOf(url: string): Promise<RowDataPacket[]> {
  const connection = await connectMysql(url);
  try {
    const [rows] = await connection.query<RowDataPacket[]>('SELECT id, name, price_amount, status FROM listings ORDER BY id');
    return rows;
  } finally {
    await connection.end();
  }
}

async function insertListings(count: number, tag: string): Promise<void> {
  const rows = Array.from({ length: count }, (_, i) => [sellerId, `${tag} ${i}`, 'x', 'bikes', 'US', 'Austin', 1000 + i, 'usd', 'active']);
  await db.pool.query('INSERT INTO listings (seller_id, name, description, category, country, city, price_amount, price_currency, status) VALUES ?', [rows]);
}

beforeAll(async () => {
  db = await createTestDatabase('backup');
  const [user] = await db.pool.query<{ insertId: number } & RowDataPacket[]>("INSERT INTO users (email, name) VALUES ('seller@example.com', 'Seller')");
  sellerId = user.insertId;
  await insertListings(50, 'before');
});
afterAll(async () => {
  await db?.close();
  dir.remove();
});

describe('backups', () => {
  let atB: Date;
  let rowsAtB: RowDataPacket[];

  it('takes a consistent backup with its binlog position, checksum and per-table rows', async () => {
    backup = await createBackup({ url: db.url, backupDir, log, progressStream: quiet });
    expect(backup).toMatchObject({ database: db.name, file: 'dump.sql.gz', binlog: { file: expect.stringMatching(/\.\d{6}$/), position: expect.any(Number) } });
    expect(backup.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(backup.tables.listings!.rows).toBe(50);
    expect(backup.tables.users!.rows).toBe(1);
    expect(backup.tables.orders!.rows).toBe(0);
    expect(listBackups(backupDir).map((b) => b.id)).toEqual([backup.id]);
  });

  it('restores to a moment between later writes: exactly the rows of that moment', async () => {
    await nextSecond();
    await insertListings(20, 'phase b');
    await db.pool.query("UPDATE listings SET price_amount = price_amount + 500 WHERE name LIKE 'before %' AND id % 5 = 0");
    await db.pool.query("DELETE FROM listings WHERE name LIKE 'before %' AND id % 7 = 0");
    rowsAtB = await listingsOf(db.url);
    await nextSecond();
    atB = new Date();
    await nextSecond();
    await insertListings(10, 'phase c');
    await db.pool.query("DELETE FROM listings WHERE name LIKE 'phase b %' AND id % 2 = 0");
    await db.pool.query("UPDATE listings SET status = 'removed' WHERE name LIKE 'before %'");
    await archiveBinlogs(db.url, backupDir, log);

    const target = newDatabaseUrl('restored');
    const result = await restoreBackup({ backupDir, at: atB, targetUrl: target.url, log, progressStream: quiet });
    expect(result).toMatchObject({ backup: { id: backup.id }, database: target.name, replayedTo: atB.toISOString() });
    expect(result.binlogFiles).toBeGreaterThanOrEqual(1);
    const restored = await listingsOf(target.url);
    expect(restored).toHaveLength(rowsAtB.length);
    expect(restored).toEqual(rowsAtB);

    // To now: the live rows.
    const latest = newDatabaseUrl('latest');
    await restoreBackup({ backupDir, at: new Date(), targetUrl: latest.url, log, progressStream: quiet });
    expect(await listingsOf(latest.url)).toEqual(await listingsOf(db.url));
  });

  it('restores the backup itself without a moment, and that copy dumps to the same rows', async () => {
    const target = newDatabaseUrl('plain');
    await restoreBackup({ backupDir, id: backup.id, targetUrl: target.url, log, progressStream: quiet });
    const restored = await listingsOf(target.url);
    expect(restored).toHaveLength(50);
    expect(restored.every((row) => String(row.name).startsWith('before '))).toBe(true);
    expect(compareDigests(backup.tables, await digestDatabase(target.url))).toEqual([]);
  });

  it('refuses a target that has tables, and a moment before the backup', async () => {
    await expect(restoreBackup({ backupDir, id: backup.id, targetUrl: db.url, log, progressStream: quiet })).rejects.toThrow(UsageError);
    await expect(restoreBackup({ backupDir, id: backup.id, targetUrl: db.url, log, progressStream: quiet })).rejects.toThrow(/already has \d+ tables; .* --force/);
    const early = new Date(Date.parse(backup.created_at) - 60_000);
    await expect(restoreBackup({ backupDir, id: backup.id, at: early, targetUrl: newDatabaseUrl('x').url, log })).rejects.toThrow(/before backup .* was taken/);
  });

  it('verifies a backup by restoring it into a scratch server', async () => {
    const verified = await verifyBackup({ backupDir, id: backup.id, full: true, log, progressStream: quiet });
    expect(verified.verified_at).toEqual(expect.any(String));
    expect(listBackups(backupDir)[0]!.verified_at).toBe(verified.verified_at);
  });

  it('names the damaged file: a flipped byte, a truncated dump, a damaged binlog', async () => {
    const copy = join(dir.path, 'damaged');
    cpSync(backupDir, copy, { recursive: true });
    const dump = join(copy, backup.id, 'dump.sql.gz');
    const bytes = readFileSync(dump);
    const middle = Math.floor(bytes.length / 2);
    bytes[middle] = bytes[middle]! ^ 0xff;
    writeFileSync(dump, bytes);
    const flipped = verifyBackup({ backupDir: copy, id: backup.id, full: false, log });
    await expect(flipped).rejects.toThrow(BackupCorrupted);
    await expect(verifyBackup({ backupDir: copy, id: backup.id, full: false, log })).rejects.toThrow(`${dump} is damaged: SHA-256`);
    truncateSync(dump, 100);
    await expect(restoreBackup({ backupDir: copy, id: backup.id, targetUrl: newDatabaseUrl('y').url, log })).rejects.toThrow(`${dump} is damaged: 100 bytes where the manifest says ${backup.bytes}`);

    cpSync(join(backupDir, backup.id), join(copy, backup.id), { recursive: true });
    // The file a replay from this backup starts with.
    const binlog = join(binlogDir(copy), backup.binlog.file);
    writeFileSync(binlog, Buffer.concat([readFileSync(binlog), Buffer.from('garbage')]));
    await expect(restoreBackup({ backupDir: copy, at: new Date(), targetUrl: newDatabaseUrl('z').url, log })).rejects.toThrow(`${binlog} is damaged`);
  });

  it('archives only what it has not archived yet', async () => {
    const before = archivedBinlogs(backupDir).map((entry) => entry.name);
    const added = await archiveBinlogs(db.url, backupDir, log);
    expect(added.map((entry) => entry.name).some((name) => before.includes(name))).toBe(false);
    expect(archivedBinlogs(backupDir).map((entry) => entry.name)).toEqual([...before, ...added.map((entry) => entry.name)]);
  });
});
