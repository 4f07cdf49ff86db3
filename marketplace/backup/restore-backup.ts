// Restores a backup into an empty database: loads the dump, then, for a point in time, replays
// the archived binlogs from the dump's coordinates up to that moment (the source database's
// events only, renamed to the target's). The live database is never the target unless forced.
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { NotFoundError, UsageError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { createProgress } from '../../core/progress.js';
import { connectMysql, parseMysqlUrl, type RowDataPacket } from '../mysql/connection.js';
import { binlogsFrom } from './archive-binlogs.js';
import { credentialsFor, runTool } from './client-tools.js';
import { assertIntact, listBackups, readManifest, type BackupManifest } from './manifest.js';

export interface RestoreOptions {
  backupDir: string;
  /** Default: the newest backup taken at or before `at` (or the newest of all). */
  id?: string;
  /** Replay the binlog up to this moment (to the second); default the backup's own moment. */
  at?: Date;
  /** An empty database to restore into (created if missing). */
  targetUrl: string;
  /** Replace the target database's tables when it has any. */
  force?: boolean;
  log: Logger;
  progressStream?: NodeJS.WritableStream;
}

export interface RestoreResult {
  backup: BackupManifest;
  database: string;
  /** The moment replayed to, when one was asked for. */
  replayedTo?: string;
  binlogFiles: number;
}

/** The backup a restore to `at` starts from: the newest one taken at or before it. */
export function chooseBackup(backupDir: string, id: string | undefined, at: Date | undefined): BackupManifest {
  if (id) {
    const manifest = readManifest(backupDir, id);
    if (at && at.getTime() < Date.parse(manifest.created_at)) {
      throw new UsageError(`--at: ${at.toISOString()} is before backup ${id} was taken (${manifest.created_at}); choose an older backup`);
    }
    return manifest;
  }
  const backups = listBackups(backupDir).filter((backup) => !at || Date.parse(backup.created_at) <= at.getTime());
  const chosen = backups.at(-1);
  if (!chosen) {
    throw new NotFoundError(at ? `no backup in ${backupDir} was taken at or before ${at.toISOString()}` : `no backups in ${backupDir} yet (steveslist backup create makes one)`);
  }
  return chosen;
}

/** `--stop-datetime` in UTC (the tools run with TZ=UTC): events of the second after `at` are left out. */
function stopDatetime(at: Date): string {
  const next = new Date(Math.floor(at.getTime() / 1000) * 1000 + 1000);
  return next.toISOString().replace('T', ' ').replace(/\.\d+Z$/, '');
}

async function prepareTarget(targetUrl: string, force: boolean): Promise<void> {
  const { database } = parseMysqlUrl(targetUrl);
  const connection = await connectMysql(targetUrl, { noDatabase: true });
  try {
    const [tables] = await connection.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = ?', [database]);
    const count = Number(tables[0]!.n);
    if (count > 0 && !force) {
      throw new UsageError(`--into: database ${database} already has ${count} tables; restore into an empty database, or add --force to replace them`);
    }
    if (count > 0) await connection.query(`DROP DATABASE \`${database.replace(/`/g, '``')}\``);
    await connection.query(`CREATE DATABASE IF NOT EXISTS \`${database.replace(/`/g, '``')}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  } finally {
    await connection.end();
  }
}

function counting(progress: ReturnType<typeof createProgress>): Transform {
  let bytes = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      progress.update(bytes);
      done(null, chunk);
    },
  });
}

export async function restoreBackup(options: RestoreOptions): Promise<RestoreResult> {
  const backup = chooseBackup(options.backupDir, options.id, options.at);
  const dumpPath = join(options.backupDir, backup.id, backup.file);
  await assertIntact(dumpPath, backup);
  // Checked before anything is written: a missing or damaged binlog must not leave half a restore.
  const binlogs = options.at ? await binlogsFrom(options.backupDir, backup.binlog.file) : [];
  await prepareTarget(options.targetUrl, options.force ?? false);
  const credentials = credentialsFor(options.targetUrl);
  try {
    const loading = createProgress({ label: `restore ${backup.id}: load (bytes)`, stream: options.progressStream });
    const load = runTool('client', [credentials.option, credentials.database], { stdin: 'pipe' });
    load.stdout.resume();
    await Promise.all([pipeline(createReadStream(dumpPath), createGunzip(), counting(loading), load.stdin), load.done]);
    loading.finish();
    if (!options.at) return { backup, database: credentials.database, binlogFiles: 0 };

    const replaying = createProgress({ label: `restore ${backup.id}: replay to ${options.at.toISOString()} (bytes)`, stream: options.progressStream });
    const rename = backup.database === credentials.database ? [] : [`--rewrite-db=${backup.database}->${credentials.database}`];
    const decode = runTool('binlog', [
      '--no-defaults', `--start-position=${backup.binlog.position}`, `--stop-datetime=${stopDatetime(options.at)}`,
      `--database=${backup.database}`, ...rename, ...binlogs,
    ]);
    // Every row change of one statement arrives as one BINLOG statement: allow big ones (the server must too).
    const apply = runTool('client', [credentials.option, '--max-allowed-packet=1G', credentials.database], { stdin: 'pipe' });
    apply.stdout.resume();
    await Promise.all([pipeline(decode.stdout, counting(replaying), apply.stdin), decode.done, apply.done]);
    replaying.finish(`${binlogs.length} binlog file(s)`);
    options.log.info({ backup: backup.id, at: options.at.toISOString(), files: binlogs.length }, 'backup restored to a point in time');
    return { backup, database: credentials.database, replayedTo: options.at.toISOString(), binlogFiles: binlogs.length };
  } finally {
    credentials.remove();
  }
}
