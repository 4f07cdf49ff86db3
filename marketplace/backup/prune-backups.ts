// Deletes the backups retention does not keep, and the archived binlogs older than the oldest
// kept backup (nothing could replay them any more).
import { rmSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../../core/log.js';
import { archivedBinlogs, binlogDir } from './archive-binlogs.js';
import { listBackups } from './manifest.js';
import { backupsToKeep, binlogsToPrune, DEFAULT_RETENTION, type RetentionPolicy } from './retention.js';

export interface PruneResult {
  deletedBackups: string[];
  deletedBinlogs: string[];
}

export function pruneBackups(backupDir: string, log: Logger, policy: RetentionPolicy = DEFAULT_RETENTION): PruneResult {
  const backups = listBackups(backupDir);
  const keep = backupsToKeep(backups, policy);
  const deletedBackups = backups.filter((backup) => !keep.has(backup.id)).map((backup) => backup.id);
  for (const id of deletedBackups) rmSync(join(backupDir, id), { recursive: true, force: true });
  const index = archivedBinlogs(backupDir);
  const deletedBinlogs = binlogsToPrune(index.map((entry) => entry.name), backups.filter((backup) => keep.has(backup.id)));
  if (deletedBinlogs.length > 0) {
    // The index first: a crash in between leaves unlisted files, never listed files that are gone.
    const path = join(binlogDir(backupDir), 'index.json');
    writeFileSync(`${path}.partial`, `${JSON.stringify(index.filter((entry) => !deletedBinlogs.includes(entry.name)), null, 2)}\n`);
    renameSync(`${path}.partial`, path);
    for (const name of deletedBinlogs) rmSync(join(binlogDir(backupDir), name), { force: true });
  }
  if (deletedBackups.length + deletedBinlogs.length > 0) log.info({ backups: deletedBackups, binlogs: deletedBinlogs }, 'old backups pruned');
  return { deletedBackups, deletedBinlogs };
}
