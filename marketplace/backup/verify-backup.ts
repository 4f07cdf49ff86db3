// Checking a backup: its files against the manifest (fast), and, in full, by restoring it into a
// scratch MariaDB and dumping that copy again: every table must come back with the same rows, and
// the same CHECKSUM TABLE values where the manifest has them.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BackupCorrupted } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { connectMysql, type RowDataPacket } from '../mysql/connection.js';
import { LocalMysqlServer } from '../mysql/local-server.js';
import { archivedBinlogs, binlogsFrom } from './archive-binlogs.js';
import { credentialsFor, runTool } from './client-tools.js';
import { DUMP_ARGUMENTS } from './dump-arguments.js';
import { DumpScanner, type TableDigest } from './dump-scanner.js';
import { assertIntact, readManifest, writeManifest, type BackupManifest } from './manifest.js';
import { restoreBackup } from './restore-backup.js';
import { checksumTables, releaseSeries } from './table-checksums.js';

export interface VerifyOptions {
  backupDir: string;
  id: string;
  /** Restore into a scratch server and compare every table. */
  full: boolean;
  log: Logger;
  progressStream?: NodeJS.WritableStream;
}

/** Per-table rows and digests of a database as mariadb-dump writes it. */
export async function digestDatabase(url: string): Promise<Record<string, TableDigest>> {
  const credentials = credentialsFor(url);
  try {
    const scanner = new DumpScanner();
    const dump = runTool('dump', [credentials.option, ...DUMP_ARGUMENTS, credentials.database]);
    dump.stdout.setEncoding('utf8');
    dump.stdout.on('data', (chunk: string) => scanner.push(chunk));
    await dump.done;
    scanner.end();
    return scanner.digests();
  } finally {
    credentials.remove();
  }
}

/** The differences between two sets of table digests, one line each; empty when they agree. */
export function compareDigests(expected: Record<string, TableDigest>, actual: Record<string, TableDigest>): string[] {
  const names = [...new Set([...Object.keys(expected), ...Object.keys(actual)])].sort();
  const differences: string[] = [];
  for (const name of names) {
    const want = expected[name];
    const got = actual[name];
    if (!got) differences.push(`${name}: missing`);
    else if (!want) differences.push(`${name}: not in the backup`);
    else if (want.rows !== got.rows || want.digest !== got.digest) differences.push(`${name}: ${got.rows} rows (digest ${got.digest}) where the backup has ${want.rows} (digest ${want.digest})`);
  }
  return differences;
}

/**
 * CHECKSUM TABLE of a restored copy against the manifest's values; null when they cannot be
 * compared (no values recorded, or another server release, whose checksum may be computed otherwise).
 */
export async function checksumDifferences(manifest: BackupManifest, url: string): Promise<string[] | null> {
  const recorded = Object.entries(manifest.tables).filter(([, table]) => table.checksum !== undefined);
  if (recorded.length === 0) return null;
  const connection = await connectMysql(url);
  let version: string;
  try {
    const [rows] = await connection.query<RowDataPacket[]>('SELECT VERSION() AS version');
    version = String(rows[0]!.version);
  } finally {
    await connection.end();
  }
  if (releaseSeries(version) !== releaseSeries(manifest.server_version)) return null;
  const actual = await checksumTables(url, manifest.database, recorded.map(([name]) => name));
  return recorded
    .filter(([name, table]) => actual[name]!.checksum !== table.checksum)
    .map(([name, table]) => `${name}: CHECKSUM TABLE ${actual[name]!.checksum} where the backup has ${table.checksum}`);
}

export async function verifyBackup(options: VerifyOptions): Promise<BackupManifest> {
  const manifest = readManifest(options.backupDir, options.id);
  await assertIntact(join(options.backupDir, manifest.id, manifest.file), manifest);
  // The binlogs a point-in-time restore from this backup would replay must be whole too.
  if (archivedBinlogs(options.backupDir).some((entry) => entry.name === manifest.binlog.file)) await binlogsFrom(options.backupDir, manifest.binlog.file);
  if (!options.full) return manifest;

  const scratchDir = mkdtempSync(join(tmpdir(), 'steveslist-verify-'));
  let server: LocalMysqlServer | undefined;
  try {
    server = await LocalMysqlServer.open({ dataDir: scratchDir, database: manifest.database, log: options.log });
    await restoreBackup({ backupDir: options.backupDir, id: manifest.id, targetUrl: server.url(), force: true, log: options.log, progressStream: options.progressStream });
    const differences = compareDigests(manifest.tables, await digestDatabase(server.url()));
    const checksums = await checksumDifferences(manifest, server.url());
    differences.push(...(checksums ?? []));
    if (differences.length > 0) throw new BackupCorrupted(`backup ${manifest.id} restores to other rows than it was taken with: ${differences.join('; ')}`);
    const verified: BackupManifest = {
      ...manifest, verified_at: new Date().toISOString(), verified_with: ['row counts', 'row digests', ...(checksums ? ['CHECKSUM TABLE'] : [])],
    };
    writeManifest(join(options.backupDir, manifest.id), verified);
    options.log.info({ backup: manifest.id, tables: Object.keys(manifest.tables).length }, 'backup verified by a restore into a scratch server');
    return verified;
  } finally {
    await server?.stop();
    rmSync(scratchDir, { recursive: true, force: true });
  }
}
