// Backups for operators: what there is, checking one's files against its manifest, and how to
// restore. Restoring itself stays a command (it stops the world), so the console says which one.
import type { FastifyPluginAsync } from 'fastify';
import { BackupCorrupted } from '../../../core/errors.js';
import { listBackups, verifyBackup } from '../../../marketplace/backup/index.js';
import type { Logger } from '../../../core/log.js';
import { ApiError } from '../../errors.js';

const idParams = {
  type: 'object', required: ['id'], additionalProperties: false,
  properties: { id: { type: 'string', pattern: '^\\d{8}T\\d{6}Z(-\\d+)?$', description: 'a backup id, as GET /admin/backups lists them' } },
} as const;

export const backupRoutes: FastifyPluginAsync<{ backupDir: string; log: Logger }> = async (app, { backupDir, log }) => {
  app.get('/admin/backups', async () => ({
    dir: backupDir,
    data: listBackups(backupDir).reverse().map((backup) => ({
      id: backup.id, created_at: backup.created_at, finished_at: backup.finished_at, database: backup.database, bytes: backup.bytes,
      tables: Object.keys(backup.tables).length, rows: Object.values(backup.tables).reduce((sum, table) => sum + table.rows, 0),
      binlog: backup.binlog, verified_at: backup.verified_at ?? null, verified_with: backup.verified_with ?? [],
      restore: `npx steveslist backup restore ${backup.id}`,
    })),
  }));

  // The files only: a full check restores into a scratch server, minutes of work for the nightly job or the command.
  app.post<{ Params: { id: string } }>('/admin/backups/:id/verify', { schema: { params: idParams } }, async (request) => {
    try {
      const manifest = await verifyBackup({ backupDir, id: request.params.id, full: false, log });
      return { id: manifest.id, intact: true, checked: 'the dump and the binlogs it needs match their recorded sizes and SHA-256', full_check: `npx steveslist backup verify ${manifest.id} --full` };
    } catch (error) {
      if (error instanceof BackupCorrupted) throw new ApiError(409, 'backup_corrupted', error.message);
      throw error;
    }
  });
};
