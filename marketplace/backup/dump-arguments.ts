// What to ask of the dump tool present: mariadb-dump records the binlog coordinates with
// --master-data=2 and the GTID position with --gtid; MySQL's mysqldump renamed the first to
// --source-data in 8.0.26 (and removed the old name later) and has no --gtid.
import { execFileSync } from 'node:child_process';
import { toolPath } from './client-tools.js';

/** The arguments that make the dump consistent and replayable, whichever tool makes it. */
export const DUMP_ARGUMENTS = ['--single-transaction', '--hex-blob', '--default-character-set=utf8mb4', '--triggers', '--no-tablespaces'];

/** The coordinate-recording arguments for a dump tool, from what its --version printed. */
export function coordinateArguments(versionText: string): string[] {
  if (/mariadb/i.test(versionText)) return ['--master-data=2', '--gtid'];
  // MySQL: "Ver 8.0.36 for Linux" (8.x) or "Ver 10.13 Distrib 5.7.44" (5.x names its release after Distrib).
  const release = /Distrib (\d+)\.(\d+)\.(\d+)/.exec(versionText) ?? /Ver (\d+)\.(\d+)\.(\d+)/.exec(versionText);
  const [major, minor, patch] = release ? release.slice(1).map(Number) as [number, number, number] : [0, 0, 0];
  const sourceData = major > 8 || (major === 8 && (minor > 0 || patch >= 26));
  // GTID_PURGED lines would make the dump unloadable into a server without GTIDs (a scratch MariaDB).
  return [sourceData ? '--source-data=2' : '--master-data=2', '--set-gtid-purged=OFF'];
}

/** Every argument of a backup dump for the dump tool on this machine. */
export function backupDumpArguments(): string[] {
  const version = execFileSync(toolPath('dump'), ['--version'], { encoding: 'utf8' });
  return [...DUMP_ARGUMENTS, ...coordinateArguments(version)];
}
