// Binlog archiving: copies of the server's closed binlog files, kept beside the backups, so any
// moment since the oldest backup can be restored (dump, then replay up to that moment). Read over
// the replication protocol (mariadb-binlog --read-from-remote-server), so it works for a remote
// server as well as the private one; a file already archived is not copied again.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BackupCorrupted, EnvironmentError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { connectMysql, type RowDataPacket } from '../mysql/connection.js';
import { credentialsFor, runTool } from './client-tools.js';
import { assertIntact, sha256OfFile } from './manifest.js';
import { binlogNumber } from './retention.js';

export interface ArchivedBinlog {
  name: string;
  bytes: number;
  sha256: string;
  archived_at: string;
}

const INDEX = 'index.json';

export function binlogDir(backupDir: string): string {
  return join(backupDir, 'binlogs');
}

/** The archive's files by name, in binlog order. */
export function archivedBinlogs(backupDir: string): ArchivedBinlog[] {
  const path = join(binlogDir(backupDir), INDEX);
  if (!existsSync(path)) return [];
  const index = JSON.parse(readFileSync(path, 'utf8')) as ArchivedBinlog[];
  return index.sort((a, b) => binlogNumber(a.name) - binlogNumber(b.name));
}

function saveIndex(backupDir: string, index: ArchivedBinlog[]): void {
  const path = join(binlogDir(backupDir), INDEX);
  writeFileSync(`${path}.partial`, `${JSON.stringify(index, null, 2)}\n`);
  renameSync(`${path}.partial`, path);
}

export { binlogNumber };

/**
 * Closes the current binlog (FLUSH BINARY LOGS) and archives every closed file not archived yet.
 * Returns the files archived by this call.
 */
export async function archiveBinlogs(url: string, backupDir: string, log: Logger): Promise<ArchivedBinlog[]> {
  const dir = binlogDir(backupDir);
  mkdirSync(dir, { recursive: true });
  const connection = await connectMysql(url, { noDatabase: true });
  let closed: { name: string; bytes: number }[];
  try {
    await connection.query('FLUSH BINARY LOGS');
    const [rows] = await connection.query<RowDataPacket[]>('SHOW BINARY LOGS');
    // The newest file is the one being written: it is archived by a later call, once closed.
    closed = rows.map((row) => ({ name: String(row.Log_name), bytes: Number(row.File_size) })).slice(0, -1);
  } finally {
    await connection.end();
  }
  const index = archivedBinlogs(backupDir);
  const known = new Set(index.map((entry) => entry.name));
  // Files are known by name; after RESET MASTER (or pointing MYSQL_URL at another server) the
  // names start over, and skipping a "known" name would later replay the wrong file's events.
  for (const file of closed) {
    const archived = index.find((entry) => entry.name === file.name);
    if (archived && archived.bytes !== file.bytes) {
      throw new EnvironmentError(
        `${join(dir, file.name)} (${archived.bytes} bytes) is not the server's ${file.name} (${file.bytes} bytes): the server's binlog numbering started over `
        + `(RESET MASTER, or another server in MYSQL_URL); move ${dir} aside and take a new backup`,
      );
    }
  }
  const added: ArchivedBinlog[] = [];
  const credentials = credentialsFor(url);
  try {
    for (const { name } of closed.filter((file) => !known.has(file.name))) {
      const partialDir = join(dir, '.partial');
      rmSync(partialDir, { recursive: true, force: true });
      mkdirSync(partialDir);
      const run = runTool('binlog', [credentials.option, '--read-from-remote-server', '--raw', `--result-file=${partialDir}/`, name]);
      run.stdout.resume();
      await run.done;
      renameSync(join(partialDir, name), join(dir, name));
      rmSync(partialDir, { recursive: true, force: true });
      const { sha256, bytes } = await sha256OfFile(join(dir, name));
      const entry = { name, bytes, sha256, archived_at: new Date().toISOString() };
      index.push(entry);
      added.push(entry);
      saveIndex(backupDir, index);
    }
  } finally {
    credentials.remove();
  }
  if (added.length > 0) log.info({ files: added.map((entry) => entry.name) }, 'binlogs archived');
  return added;
}

/** The archived files a replay from `startFile` needs, checked against their recorded SHA-256. */
export async function binlogsFrom(backupDir: string, startFile: string): Promise<string[]> {
  const index = archivedBinlogs(backupDir);
  const first = index.findIndex((entry) => entry.name === startFile);
  if (first < 0) throw new BackupCorrupted(`${join(binlogDir(backupDir), startFile)} is not archived: the backup's binlog position cannot be replayed from (run steveslist backup archive first?)`);
  const needed = index.slice(first);
  for (let i = 1; i < needed.length; i++) {
    if (binlogNumber(needed[i]!.name) !== binlogNumber(needed[i - 1]!.name) + 1) {
      throw new BackupCorrupted(`the binlog archive has a gap after ${needed[i - 1]!.name} (next is ${needed[i]!.name}): events in between are lost`);
    }
  }
  for (const entry of needed) await assertIntact(join(binlogDir(backupDir), entry.name), entry);
  return needed.map((entry) => join(binlogDir(backupDir), entry.name));
}
