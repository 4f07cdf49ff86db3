// Deletes the backups retention does not keep, and the archived binlogs older than the oldest
// kept backup (nothing could replay them any more).
import { rmSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../../core/log.js';
import { archivedBinlogs, binlogDir, binlogNumber } from './archive-binlogs.js';
import { listBackups } from './manifest.js';
import { backupsToKeep, DEFAULT_RETENTION, type RetentionPolicy } from './retention.js';

export interface PruneResult {
  deletedBackups: string[];
  deletedBinlogs: string[];
}

export function pruneBackups(backupDir: string, log: Logger, policy: RetentionPolicy = DEFAULT_RETENTION): PruneResult {
  const backups = listBackups(backupDir);
  const keep = backupsToKeep(backups, policy);
  const deletedBackups = backups.filter((backup) => !keep.has(backup.id)).map((backup) => backup.id);
  for (const id of deletedBackups) rmSync(join(backupDir, id), { recursive: true, force: true });
  const oldest = backups.find((backup) => keep.has(backup.id));
  const deletedBinlogs: string[] = [];
  if (oldest) {
    const first = binlogNumber(oldest.binlog.file);
    const index = archivedBinlogs(backupDir);
    const kept = index.filter((entry) => binlogNumber(entry.name) >= first);
    for (const entry of index.filter((candidate) => binlogNumber(candidate.name) < first)) {
      rmSync(join(binlogDir(backupDir), entry.name), { force: true });
      deletedBinlogs.push(entry.name);
    }
    if (deletedBinlogs.length > 0) {
      const path = join(binlogDir(backupDir), 'index.json');
      writeFileSync(`${path}.partial`, `${JSON.stringify(kept, null, 2)}\n`);
      renameSync(`${path}.partial`, path);
    }
  }
  if (deletedBackups.length + deletedBinlogs.length > 0) log.info({ backups: deletedBackups, binlogs: deletedBinlogs }, 'old backups pruned');
  return { deletedBackups, deletedBinlogs };
}
