// A backup on disk: BACKUP_DIR/<id>/dump.sql.gz and manifest.json beside it, saying what the
// dump holds and how to check it. Archived binlogs live in BACKUP_DIR/binlogs with their own index.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BackupCorrupted, NotFoundError } from '../../core/errors.js';
import type { BinlogCoordinates, TableDigest } from './dump-scanner.js';

export interface BackupManifest {
  id: string;
  /** When the dump's snapshot was taken (UTC, ISO 8601). */
  created_at: string;
  finished_at: string;
  database: string;
  server_version: string;
  file: string;
  bytes: number;
  sha256: string;
  /** Where the snapshot sits in the binlog: replay starts here. */
  binlog: BinlogCoordinates;
  tables: Record<string, TableRecord>;
  /** How the CHECKSUM TABLE values were made to describe the dump's state; absent when they could not be. */
  checksums_consistent_by?: string;
  /** Set once a restore of this backup into a scratch server matched it. */
  verified_at?: string;
  /** What that restore was compared on (CHECKSUM TABLE only when the scratch server is of the same release). */
  verified_with?: string[];
}

/** A table in the backup: rows and digest read from the dump, CHECKSUM TABLE from the server. */
export interface TableRecord extends TableDigest {
  checksum?: string | null;
}

export const DUMP_FILE = 'dump.sql.gz';
const MANIFEST_FILE = 'manifest.json';
const ID = /^\d{8}T\d{6}Z(-\d+)?$/;

/** An id from the time: sortable, readable, one folder name. */
export function backupId(at: Date, taken: (id: string) => boolean): string {
  const base = at.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  let id = base;
  for (let n = 2; taken(id); n++) id = `${base}-${n}`;
  return id;
}

export function writeManifest(dir: string, manifest: BackupManifest): void {
  const path = join(dir, MANIFEST_FILE);
  writeFileSync(`${path}.partial`, `${JSON.stringify(manifest, null, 2)}\n`);
  renameSync(`${path}.partial`, path);
}

export function readManifest(backupDir: string, id: string): BackupManifest {
  const path = join(backupDir, id, MANIFEST_FILE);
  if (!ID.test(id) || !existsSync(path)) throw new NotFoundError(`no backup ${id} in ${backupDir} (steveslist backup list shows them)`);
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as BackupManifest;
  } catch (error) {
    throw new BackupCorrupted(`${path}: not a readable manifest (${(error as Error).message})`);
  }
}

/** Complete backups (with a manifest), oldest first. */
export function listBackups(backupDir: string): BackupManifest[] {
  if (!existsSync(backupDir)) return [];
  return readdirSync(backupDir)
    .filter((id) => ID.test(id) && existsSync(join(backupDir, id, MANIFEST_FILE)))
    .sort()
    .map((id) => readManifest(backupDir, id));
}

export async function sha256OfFile(path: string): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), bytes };
}

/** Throws BackupCorrupted naming the file when its size or SHA-256 is not what was recorded. */
export async function assertIntact(path: string, expected: { sha256: string; bytes: number }): Promise<void> {
  if (!existsSync(path)) throw new BackupCorrupted(`${path} is missing`);
  const actual = await sha256OfFile(path);
  if (actual.bytes !== expected.bytes) {
    throw new BackupCorrupted(`${path} is damaged: ${actual.bytes} bytes where the manifest says ${expected.bytes} (truncated or appended to)`);
  }
  if (actual.sha256 !== expected.sha256) {
    throw new BackupCorrupted(`${path} is damaged: SHA-256 ${actual.sha256} does not match the manifest's ${expected.sha256}`);
  }
}
