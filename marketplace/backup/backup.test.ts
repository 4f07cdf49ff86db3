// Backups against a real MariaDB: a backup, then inserts, updates and deletes, then a restore to a
// moment in between gives exactly the rows of that moment (and nothing of another database written
// to at the same time: the shared test server's binlog holds every test database); a plain restore
// gives the backup's rows; a full verify restores into a scratch server; damaged files are named.
import { cpSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackupCorrupted, UsageError } from '../../core/errors.js';
import { silentLogger } from '../../core/log.js';
import { createTestDatabase, newDatabaseUrl, type TestDatabase } from '../../test/fixtures/database.js';
import { tempDir } from '../../test/fixtures/temp-dir.js';
import { connectMysql, type RowDataPacket } from '../mysql/connection.js';
import { LocalMysqlServer } from '../mysql/local-server.js';
import { archiveBinlogs, archivedBinlogs, binlogDir } from './archive-binlogs.js';
import { createBackup } from './create-backup.js';
import { listBackups, type BackupManifest } from './manifest.js';
import { restoreBackup } from './restore-backup.js';
import { checksumTables } from './table-checksums.js';
import { compareDigests, digestDatabase, verifyBackup } from './verify-backup.js';

const dir = tempDir();
const backupDir = join(dir.path, 'backups');
const log = silentLogger();
const quiet = { write: () => true } as unknown as NodeJS.WritableStream;
let db: TestDatabase;
/** Another marketplace database on the same server, written to between the same moments. */
let other: TestDatabase;
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

async function insertListings(count: number, tag: string, into: TestDatabase = db): Promise<void> {
  const rows = Array.from({ length: count }, (_, i) => [sellerId, `${tag} ${i}`, 'x', 'bikes', 'US', 'Austin', 1000 + i, 'usd', 'active']);
  await into.pool.query('INSERT INTO listings (seller_id, name, description, category, country, city, price_amount, price_currency, status) VALUES ?', [rows]);
}

beforeAll(async () => {
  db = await createTestDatabase('backup');
  const [user] = await db.pool.query<{ insertId: number } & RowDataPacket[]>("INSERT INTO users (email, name) VALUES ('seller@example.com', 'Seller')");
  sellerId = user.insertId;
  await insertListings(50, 'before');
  other = await createTestDatabase('backupother');
  await other.pool.query('INSERT INTO users (id, email, name) VALUES (?, ?, ?)', [sellerId, 'other@example.com', 'Other']);
  await insertListings(50, 'other before', other);
});
afterAll(async () => {
  await db?.close();
  await other?.close();
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
    // CHECKSUM TABLE in the dump's state: nothing has written since, so the live values agree.
    expect(backup.checksums_consistent_by).toMatch(/LOCK TABLES/);
    const live = await checksumTables(db.url, db.name, ['listings', 'users', 'orders']);
    expect(backup.tables.listings!.checksum).toMatch(/^\d+$/);
    for (const name of ['listings', 'users', 'orders']) expect(backup.tables[name]).toMatchObject(live[name]!);
  });

  it('restores to a moment between later writes: exactly the rows of that moment', async () => {
    await nextSecond();
    await insertListings(20, 'phase b');
    await insertListings(20, 'other phase b', other);
    await db.pool.query("UPDATE listings SET price_amount = price_amount + 500 WHERE name LIKE 'before %' AND id % 5 = 0");
    await other.pool.query("UPDATE listings SET price_amount = price_amount + 300 WHERE id % 3 = 0");
    await db.pool.query("DELETE FROM listings WHERE name LIKE 'before %' AND id % 7 = 0");
    await other.pool.query("DELETE FROM listings WHERE id % 4 = 0");
    rowsAtB = await listingsOf(db.url);
    await nextSecond();
    atB = new Date();
    await nextSecond();
    await insertListings(10, 'phase c');
    await insertListings(10, 'other phase c', other);
    await db.pool.query("DELETE FROM listings WHERE name LIKE 'phase b %' AND id % 2 = 0");
    await db.pool.query("UPDATE listings SET status = 'removed' WHERE name LIKE 'before %'");
    await archiveBinlogs(db.url, backupDir, log);
    const otherRows = await listingsOf(other.url);

    const target = newDatabaseUrl('restored');
    const result = await restoreBackup({ backupDir, at: atB, targetUrl: target.url, log, progressStream: quiet });
    expect(result).toMatchObject({ backup: { id: backup.id }, database: target.name, replayedTo: atB.toISOString() });
    expect(result.binlogFiles).toBeGreaterThanOrEqual(1);
    const restored = await listingsOf(target.url);
    expect(restored).toHaveLength(rowsAtB.length);
    expect(restored).toEqual(rowsAtB);
    // The other database's events were not replayed anywhere: its own rows are as they were.
    expect(await listingsOf(other.url)).toEqual(otherRows);

    // Into a server of its own, where another database's events would have nowhere to go.
    const own = await LocalMysqlServer.open({ dataDir: join(dir.path, 'own-server'), database: db.name, log });
    try {
      await restoreBackup({ backupDir, at: atB, targetUrl: own.url(), log, progressStream: quiet });
      expect(await listingsOf(own.url())).toEqual(rowsAtB);
      const connection = await connectMysql(own.url());
      const [schemas] = await connection.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema NOT IN (?, ?, ?, ?, ?)', [db.name, 'mysql', 'information_schema', 'performance_schema', 'sys']);
      await connection.end();
      expect(Number(schemas[0]!.n)).toBe(0);
    } finally {
      await own.stop();
    }

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
    expect(verified.verified_with).toEqual(['row counts', 'row digests', 'CHECKSUM TABLE']);
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

  it('refuses to go on when an archived name is another file on the server (numbering started over)', async () => {
    const copy = join(dir.path, 'renumbered');
    cpSync(backupDir, copy, { recursive: true });
    const indexPath = join(binlogDir(copy), 'index.json');
    const index = JSON.parse(readFileSync(indexPath, 'utf8')) as { name: string; bytes: number }[];
    // As if the archive held an older server's file of the same name (sizes tell them apart).
    const last = index.at(-1)!;
    last.bytes += 1;
    writeFileSync(indexPath, JSON.stringify(index));
    await expect(archiveBinlogs(db.url, copy, log)).rejects.toThrow(`${join(binlogDir(copy), last.name)} (${last.bytes} bytes) is not the server's ${last.name}`);
  });

  it('still backs up for a user without the LOCK TABLES privilege, with checksums only when nothing was written in between', async () => {
    const user = `nolock_${db.name.slice(-10)}`;
    const root = await connectMysql(db.url);
    try {
      await root.query(`CREATE USER '${user}'@'%' IDENTIFIED BY 'pw-nolock'`);
      await root.query(`GRANT SELECT, SHOW VIEW, TRIGGER ON \`${db.name}\`.* TO '${user}'@'%'`);
      await root.query(`GRANT RELOAD, BINLOG MONITOR ON *.* TO '${user}'@'%'`);
      const url = new URL(db.url);
      url.username = user;
      url.password = 'pw-nolock';
      const limited = await createBackup({ url: url.toString(), backupDir: join(dir.path, 'nolock'), log, progressStream: quiet });
      expect(limited.tables.listings!.rows).toBeGreaterThan(0);
      // Other test files write to the same server, so the binlog may have moved between the two snapshots.
      if (limited.checksums_consistent_by) {
        expect(limited.checksums_consistent_by).toBe('both snapshots at the same binlog position');
        expect(limited.tables.listings!.checksum).toMatch(/^\d+$/);
      } else {
        expect(Object.values(limited.tables).every((table) => table.checksum === undefined)).toBe(true);
      }
    } finally {
      await root.query(`DROP USER IF EXISTS '${user}'@'%'`);
      await root.end();
    }
  });

  it('records row counts and CHECKSUM TABLE of the dumped state while writes go on, and the restore matches them', async () => {
    const busyDir = join(dir.path, 'busy');
    let writing = true;
    let batches = 0;
    const writer = (async () => {
      while (writing) {
        await insertListings(5, `busy ${batches}`);
        batches++;
      }
    })();
    let busy: BackupManifest;
    let during: number;
    try {
      while (batches < 3) await new Promise((resolve) => setTimeout(resolve, 10));
      const before = batches;
      busy = await createBackup({ url: db.url, backupDir: busyDir, log, progressStream: quiet });
      during = batches - before;
    } finally {
      writing = false;
      await writer;
    }
    // Writes went on around the backup; had the two snapshots seen different rows, createBackup would have refused.
    expect(during).toBeGreaterThan(0);
    expect(busy.checksums_consistent_by).toMatch(/LOCK TABLES/);
    expect(busy.tables.listings!.checksum).toMatch(/^\d+$/);
    const verified = await verifyBackup({ backupDir: busyDir, id: busy.id, full: true, log, progressStream: quiet });
    expect(verified.verified_with).toContain('CHECKSUM TABLE');
  });
});
