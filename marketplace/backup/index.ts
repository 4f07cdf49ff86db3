// Backups with point-in-time recovery: consistent dumps with their binlog coordinates, an archive
// of the binlogs after them, restores to any moment since the oldest kept backup, verification.
import type { Logger } from '../../core/log.js';
import { archiveBinlogs } from './archive-binlogs.js';
import { createBackup } from './create-backup.js';
import { pruneBackups } from './prune-backups.js';
import { verifyBackup } from './verify-backup.js';

export { archiveBinlogs, archivedBinlogs } from './archive-binlogs.js';
export { createBackup } from './create-backup.js';
export { listBackups, readManifest, type BackupManifest } from './manifest.js';
export { pruneBackups } from './prune-backups.js';
export { backupsToKeep, binlogsToPrune, DEFAULT_RETENTION, type RetentionPolicy } from './retention.js';
export { restoreBackup, chooseBackup, type RestoreOptions, type RestoreResult } from './restore-backup.js';
export { verifyBackup, digestDatabase, compareDigests } from './verify-backup.js';

/** The nightly job: a new backup, the binlogs since the last one, a restore to prove it, old ones pruned. */
export async function nightlyBackup(options: { url: string; backupDir: string; log: Logger; progressStream?: NodeJS.WritableStream }): Promise<string> {
  const backup = await createBackup(options);
  const archived = await archiveBinlogs(options.url, options.backupDir, options.log);
  await verifyBackup({ backupDir: options.backupDir, id: backup.id, full: true, log: options.log, progressStream: options.progressStream });
  const pruned = pruneBackups(options.backupDir, options.log);
  const rows = Object.values(backup.tables).reduce((sum, table) => sum + table.rows, 0);
  return `backup ${backup.id}: ${rows} rows, ${(backup.bytes / 1e6).toFixed(1)} MB, verified by a restore; ${archived.length} binlog(s) archived; `
    + `${pruned.deletedBackups.length} old backup(s) and ${pruned.deletedBinlogs.length} binlog(s) pruned`;
}
