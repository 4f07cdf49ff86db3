// A consistent logical backup: mariadb-dump in one transaction (--single-transaction) with the
// binlog coordinates of its snapshot, gzip-compressed as it streams, with its SHA-256 and, per
// table, the row count and a digest of the rows read from the dump itself.
import { existsSync, mkdirSync, renameSync, rmSync, createWriteStream } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { StringDecoder } from 'node:string_decoder';
import { createGzip } from 'node:zlib';
import { EnvironmentError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { createProgress } from '../../core/progress.js';
import { credentialsFor, runTool } from './client-tools.js';
import { DumpScanner } from './dump-scanner.js';
import { backupId, DUMP_FILE, writeManifest, type BackupManifest } from './manifest.js';

export interface CreateBackupOptions {
  /** The database to back up. */
  url: string;
  backupDir: string;
  log: Logger;
  /** Where progress lines go; default standard error. */
  progressStream?: NodeJS.WritableStream;
}

/** The arguments that make the dump consistent and replayable; exported for the restore's re-dump. */
export const DUMP_ARGUMENTS = ['--single-transaction', '--hex-blob', '--default-character-set=utf8mb4', '--triggers', '--no-tablespaces'];

export async function createBackup(options: CreateBackupOptions): Promise<BackupManifest> {
  mkdirSync(options.backupDir, { recursive: true });
  const startedAt = new Date();
  const id = backupId(startedAt, (candidate) => existsSync(join(options.backupDir, candidate)));
  const dir = join(options.backupDir, id);
  mkdirSync(dir);
  const partial = join(dir, `${DUMP_FILE}.partial`);
  const credentials = credentialsFor(options.url);
  const scanner = new DumpScanner();
  const hash = createHash('sha256');
  let plainBytes = 0;
  let gzBytes = 0;
  const progress = createProgress({ label: `backup ${credentials.database} (bytes dumped)`, stream: options.progressStream });
  try {
    // --master-data=2 writes the snapshot's binlog coordinates as a comment; --gtid adds the GTID position.
    const dump = runTool('dump', [credentials.option, ...DUMP_ARGUMENTS, '--master-data=2', '--gtid', credentials.database]);
    const decoder = new StringDecoder('utf8');
    const scan = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        plainBytes += chunk.length;
        scanner.push(decoder.write(chunk));
        progress.update(plainBytes);
        done(null, chunk);
      },
      flush(done) {
        scanner.push(decoder.end());
        scanner.end();
        done();
      },
    });
    const measure = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        gzBytes += chunk.length;
        done(null, chunk);
      },
    });
    await Promise.all([pipeline(dump.stdout, scan, createGzip({ level: 6 }), measure, createWriteStream(partial)), dump.done]);
    progress.finish(`${(gzBytes / 1e6).toFixed(1)} MB compressed`);
    const binlog = scanner.binlog;
    if (!binlog) throw new EnvironmentError(`the dump of ${credentials.database} recorded no binlog position: point-in-time recovery needs the binlog on (log_bin)`);
    renameSync(partial, join(dir, DUMP_FILE));
    const manifest: BackupManifest = {
      id, created_at: startedAt.toISOString(), finished_at: new Date().toISOString(), database: credentials.database,
      server_version: scanner.server ?? 'unknown', file: DUMP_FILE, bytes: gzBytes, sha256: hash.digest('hex'), binlog, tables: scanner.digests(),
    };
    writeManifest(dir, manifest);
    const rows = Object.values(manifest.tables).reduce((sum, table) => sum + table.rows, 0);
    options.log.info({ backup: id, tables: Object.keys(manifest.tables).length, rows, bytes: gzBytes, binlog }, 'backup created');
    return manifest;
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  } finally {
    credentials.remove();
  }
}
