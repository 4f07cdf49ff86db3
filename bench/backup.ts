// Backups: dump rate (rows into a compressed, checksummed file), restore rate (load into an empty
// database), full verify (a scratch server, a restore, a re-dump and CHECKSUM TABLE), and binlog
// replay rate (row changes re-applied for a point-in-time restore).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../core/log.js';
import { archiveBinlogs } from '../marketplace/backup/archive-binlogs.js';
import { createBackup } from '../marketplace/backup/create-backup.js';
import { restoreBackup } from '../marketplace/backup/restore-backup.js';
import { checksumTables } from '../marketplace/backup/table-checksums.js';
import { verifyBackup } from '../marketplace/backup/verify-backup.js';
import { createMysqlPool } from '../marketplace/mysql/connection.js';
import type { LocalMysqlServer } from '../marketplace/mysql/local-server.js';
import { seed } from '../marketplace/sample-data/seed.js';
import { migrate } from '../marketplace/schema/migrate.js';
import { measure, type BenchResult } from './table.js';

const LISTINGS = Number(process.env.BENCH_BACKUP_LISTINGS ?? 100_000);
const quiet = { write: () => true } as unknown as NodeJS.WritableStream;

export async function* backupBenches(server: LocalMysqlServer): AsyncGenerator<BenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'steveslist-bench-backup-'));
  const log = silentLogger();
  const url = server.url('bench_backup');
  await migrate(url);
  const pool = await createMysqlPool(url);
  try {
    await seed(pool, { users: 2_000, listings: LISTINGS, seed: 7, progress: () => ({ update() {}, finish() {} }) });
    const backupDir = join(dir, 'backups');
    let started = performance.now();
    const backup = await createBackup({ url, backupDir, log, progressStream: quiet });
    const rows = Object.values(backup.tables).reduce((sum, table) => sum + table.rows, 0);
    yield measure('backup create (mariadb-dump, gzip, SHA-256, row digests, CHECKSUM TABLE)', 'rows', rows, performance.now() - started, `${(backup.bytes / 1e6).toFixed(1)} MB`);

    // The share of create spent on the manifest's row counts and CHECKSUM TABLE values.
    started = performance.now();
    await checksumTables(url, 'bench_backup', Object.keys(backup.tables));
    yield measure('  of which COUNT(*) + CHECKSUM TABLE of every table', 'rows', rows, performance.now() - started);

    started = performance.now();
    await restoreBackup({ backupDir, id: backup.id, targetUrl: server.url('bench_restored'), log, progressStream: quiet });
    yield measure('backup restore (load into an empty database)', 'rows', rows, performance.now() - started);

    started = performance.now();
    await verifyBackup({ backupDir, id: backup.id, full: true, log, progressStream: quiet });
    yield measure('backup verify --full (scratch server, restore, re-dump, CHECKSUM TABLE)', 'rows', rows, performance.now() - started);

    // Changes after the backup, replayed from the archived binlog.
    await pool.query('UPDATE listings SET price_amount = price_amount + 1');
    await archiveBinlogs(url, backupDir, log);
    started = performance.now();
    await restoreBackup({ backupDir, id: backup.id, at: new Date(Date.now() + 2000), targetUrl: server.url('bench_replayed'), log, progressStream: quiet });
    yield measure('point-in-time restore (load + replay of one UPDATE of every listing)', 'rows', rows + LISTINGS, performance.now() - started);
  } finally {
    await pool.end();
    rmSync(dir, { recursive: true, force: true });
  }
}
