// A consistent logical backup: mariadb-dump in one transaction (--single-transaction) with the
// binlog coordinates of its snapshot, gzip-compressed as it streams, with its SHA-256 and, per
// table, the row count and a digest of the rows read from the dump itself, and the row count and
// CHECKSUM TABLE value read in a snapshot of the same state (see table-checksums.ts).
import { existsSync, mkdirSync, renameSync, rmSync, createWriteStream } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { StringDecoder } from 'node:string_decoder';
import { createGzip } from 'node:zlib';
import { BackupCorrupted, EnvironmentError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { createProgress } from '../../core/progress.js';
import { credentialsFor, runTool } from './client-tools.js';
import { backupDumpArguments } from './dump-arguments.js';
import { DumpScanner } from './dump-scanner.js';
import { backupId, DUMP_FILE, writeManifest, type BackupManifest, type TableRecord } from './manifest.js';
import { ChecksumSnapshot } from './table-checksums.js';

export interface CreateBackupOptions {
  /** The database to back up. */
  url: string;
  backupDir: string;
  log: Logger;
  /** Where progress lines go; default standard error. */
  progressStream?: NodeJS.WritableStream;
}

/**
 * How long writes may be held for the checksum snapshot when the dump never says it has started
 * (a tool that prints its coordinates late): after that the lock goes and the binlog positions of
 * the two snapshots decide whether the checksums describe the dump.
 */
const HOLD_LIMIT_MS = 10_000;

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
  let snapshot: ChecksumSnapshot | undefined;
  let holdTimer: NodeJS.Timeout | undefined;
  try {
    const dumpArguments = backupDumpArguments();
    snapshot = await ChecksumSnapshot.open(options.url, credentials.database);
    const held = snapshot;
    let releasing: Promise<void> | undefined;
    let releasedByTimer = false;
    const release = () => {
      releasing ??= held.release();
      // Surfaced where it is awaited below; not an unhandled rejection in between.
      releasing.catch(() => undefined);
    };
    holdTimer = setTimeout(() => {
      releasedByTimer = true;
      release();
    }, HOLD_LIMIT_MS);
    const progress = createProgress({ label: `backup ${credentials.database} (bytes dumped)`, stream: options.progressStream });
    // --master-data=2 / --source-data=2 write the snapshot's binlog coordinates as a comment; --gtid adds the GTID position.
    const dump = runTool('dump', [credentials.option, ...dumpArguments, credentials.database]);
    const decoder = new StringDecoder('utf8');
    const scan = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        plainBytes += chunk.length;
        scanner.push(decoder.write(chunk));
        // The coordinates are printed after the dump's transaction started: writes may go on.
        if (!releasing && scanner.binlog) release();
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
    try {
      await Promise.all([pipeline(dump.stdout, scan, createGzip({ level: 6 }), measure, createWriteStream(partial)), dump.done]);
    } finally {
      clearTimeout(holdTimer);
      release();
    }
    await releasing;
    progress.finish(`${(gzBytes / 1e6).toFixed(1)} MB compressed`);
    const binlog = scanner.binlog;
    if (!binlog) throw new EnvironmentError(`the dump of ${credentials.database} recorded no binlog position: point-in-time recovery needs the binlog on (log_bin)`);
    const tables: Record<string, TableRecord> = scanner.digests();
    const consistency: string | undefined = snapshot.locked && !releasedByTimer
      ? 'writes held (LOCK TABLES ... READ) from the checksum snapshot until the dump had started its own'
      : snapshot.binlog && snapshot.binlog.file === binlog.file && snapshot.binlog.position === binlog.position
        ? 'both snapshots at the same binlog position'
        : undefined;
    if (consistency) {
      const measuring = createProgress({ label: `backup ${credentials.database}: row counts and CHECKSUM TABLE (tables)`, total: snapshot.tables.length, stream: options.progressStream });
      const checksums = await snapshot.measure((done) => measuring.update(done));
      measuring.finish();
      for (const [name, measured] of Object.entries(checksums)) {
        const dumped = tables[name];
        // Same state, so the same rows: anything else means the dump is not what it claims to be.
        if (!dumped || dumped.rows !== measured.rows) {
          throw new BackupCorrupted(`the dump of ${credentials.database} holds ${dumped?.rows ?? 'no'} rows of ${name} where its snapshot counts ${measured.rows}`);
        }
        dumped.checksum = measured.checksum;
      }
    } else {
      options.log.warn({ database: credentials.database }, 'writes went on between the dump and the checksum snapshot: the manifest has row digests from the dump but no CHECKSUM TABLE values');
    }
    renameSync(partial, join(dir, DUMP_FILE));
    const manifest: BackupManifest = {
      id, created_at: startedAt.toISOString(), finished_at: new Date().toISOString(), database: credentials.database,
      server_version: scanner.server ?? 'unknown', file: DUMP_FILE, bytes: gzBytes, sha256: hash.digest('hex'), binlog, tables,
      ...(consistency ? { checksums_consistent_by: consistency } : {}),
    };
    writeManifest(dir, manifest);
    const rows = Object.values(manifest.tables).reduce((sum, table) => sum + table.rows, 0);
    options.log.info({ backup: id, tables: Object.keys(manifest.tables).length, rows, bytes: gzBytes, binlog, writesHeldMs: snapshot.locked ? snapshot.heldMs : 0 }, 'backup created');
    return manifest;
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  } finally {
    clearTimeout(holdTimer);
    await snapshot?.close();
    credentials.remove();
  }
}
