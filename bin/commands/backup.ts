import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../../core/errors.js';
import {
  archiveBinlogs, archivedBinlogs, createBackup, listBackups, pruneBackups, restoreBackup, verifyBackup,
} from '../../marketplace/backup/index.js';
import { chooseBackup } from '../../marketplace/backup/restore-backup.js';
import { LocalMysqlServer, openMysqlSource, parseMysqlUrl } from '../../marketplace/mysql/index.js';
import { parseOptions } from '../args.js';
import type { Command, CommandContext } from '../command.js';

const USAGE = [
  'steveslist backup create',
  'steveslist backup list',
  'steveslist backup archive',
  'steveslist backup verify [<id>] [--full]',
  'steveslist backup restore [<id>] [--at <time>] [--into <MYSQL_URL>] [--force]',
  'steveslist backup prune',
].join(' | ');

const print = (line: string) => process.stdout.write(`${line}\n`);

function parseAt(value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  // A time without a zone would silently mean the machine's zone: ask for one.
  if (!/^\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)$/.test(value.trim()) || Number.isNaN(Date.parse(value))) {
    throw new UsageError(`--at: expected an ISO 8601 time with its zone, such as 2026-11-24T14:05:00Z or 2026-11-24T15:05:00+01:00; got "${value}"`);
  }
  return new Date(value);
}

/** The live database's URL (starting the private MariaDB if it is not running) and how to let go of it. */
async function live(context: CommandContext) {
  const source = await openMysqlSource(context.config, context.log);
  context.onInterrupt(() => source.close());
  return source;
}

function sameDatabase(a: string, b: string): boolean {
  const [x, y] = [parseMysqlUrl(a), parseMysqlUrl(b)];
  const local = (host: string) => (host === 'localhost' ? '127.0.0.1' : host);
  return local(x.host) === local(y.host) && x.port === y.port && x.database === y.database;
}

export const backupCommand: Command = {
  summary: 'consistent backups with binlog archiving: create, list, verify, restore to a point in time, prune',
  usage: USAGE,
  options: [
    { flag: '--full', help: 'verify: restore the backup into a scratch MariaDB and compare every table (default: check the files)' },
    { flag: '--at <time>', help: 'restore: replay the archived binlog up to this ISO 8601 time with its zone (default: the backup as taken)' },
    { flag: '--into <MYSQL_URL>', help: 'restore: into this server (default: a new private MariaDB under DATA_DIR/restores)' },
    { flag: '--force', help: 'restore: allow --into to name the live database' },
  ],
  examples: ['npx steveslist backup create', 'npx steveslist backup restore --at 2026-11-24T14:05:00Z'],
  async run(context) {
    const { values, positionals } = parseOptions(context.args, {
      at: { type: 'string' }, into: { type: 'string' }, force: { type: 'boolean' }, full: { type: 'boolean' },
    });
    const [action, id, ...rest] = positionals;
    if (rest.length > 0 || !['create', 'list', 'archive', 'verify', 'restore', 'prune'].includes(action ?? '')) throw new UsageError(`usage: ${USAGE}`);
    const backupDir = context.config.backup.dir;
    const { log } = context;

    if (action === 'list') {
      const backups = listBackups(backupDir);
      for (const b of backups) {
        const rows = Object.values(b.tables).reduce((sum, table) => sum + table.rows, 0);
        print(`${b.id}  ${b.database}  ${rows} rows  ${(b.bytes / 1e6).toFixed(1)} MB  binlog ${b.binlog.file}:${b.binlog.position}  ${b.verified_at ? `verified ${b.verified_at}` : 'not verified by a restore'}`);
      }
      const binlogs = archivedBinlogs(backupDir);
      print(`${backups.length} backup(s) in ${backupDir}; ${binlogs.length} archived binlog(s)${binlogs.length ? ` (${binlogs[0]!.name} .. ${binlogs.at(-1)!.name})` : ''}`);
      return 0;
    }
    if (action === 'prune') {
      const pruned = pruneBackups(backupDir, log);
      print(`deleted ${pruned.deletedBackups.length} backup(s) and ${pruned.deletedBinlogs.length} archived binlog(s); kept 7 daily, 4 weekly, 12 monthly`);
      return 0;
    }
    if (action === 'verify') {
      const target = id ?? listBackups(backupDir).at(-1)?.id;
      if (!target) throw new UsageError(`no backups in ${backupDir} yet (steveslist backup create makes one)`);
      const verified = await verifyBackup({ backupDir, id: target, full: values.full ?? false, log });
      print(`backup ${verified.id}: ${values.full
        ? `restored into a scratch server: every table has its rows (compared: ${(verified.verified_with ?? []).join(', ')})`
        : 'files match the manifest (add --full to restore it into a scratch server)'}`);
      return 0;
    }
    if (action === 'create' || action === 'archive') {
      const source = await live(context);
      try {
        if (action === 'create') {
          const backup = await createBackup({ url: source.url, backupDir, log });
          const archived = await archiveBinlogs(source.url, backupDir, log);
          const rows = Object.values(backup.tables).reduce((sum, table) => sum + table.rows, 0);
          print(`backup ${backup.id}: ${Object.keys(backup.tables).length} tables, ${rows} rows, ${(backup.bytes / 1e6).toFixed(1)} MB, sha256 ${backup.sha256}; ${archived.length} binlog(s) archived`);
        } else {
          const archived = await archiveBinlogs(source.url, backupDir, log);
          print(`${archived.length} binlog(s) archived${archived.length ? `: ${archived.map((entry) => entry.name).join(', ')}` : ''}`);
        }
        return 0;
      } finally {
        await source.close();
      }
    }

    // restore
    const at = parseAt(values.at);
    const backup = chooseBackup(backupDir, id, at);
    const source = await live(context).catch((error: unknown) => {
      log.warn({ err: error }, 'the live database is unreachable: restoring from the archive as it is');
      return undefined;
    });
    try {
      if (values.into && source && sameDatabase(values.into, source.url) && !values.force) {
        throw new UsageError(`--into: that is the live database ${backup.database}; restore elsewhere and compare, or add --force to overwrite it`);
      }
      // The newest events first, so a recent --at has them.
      if (at && source) await archiveBinlogs(source.url, backupDir, log);
    } finally {
      await source?.close();
    }
    if (values.into) {
      const result = await restoreBackup({ backupDir, id: backup.id, at, targetUrl: values.into, force: values.force, log });
      print(`restored backup ${backup.id}${result.replayedTo ? ` and the binlog to ${result.replayedTo}` : ''} into ${result.database}`);
      return 0;
    }
    const dir = join(context.config.dataDir, 'restores', `${backup.id}-${new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}`);
    if (existsSync(dir)) throw new UsageError(`${dir} exists already; try again in a second`);
    mkdirSync(dir, { recursive: true });
    const server = await LocalMysqlServer.open({ dataDir: dir, database: backup.database, log });
    const result = await restoreBackup({ backupDir, id: backup.id, at, targetUrl: server.url(), log });
    print(`restored backup ${backup.id}${result.replayedTo ? ` and the binlog to ${result.replayedTo}` : ''} into a new private MariaDB:`);
    print(`  database ${result.database} on 127.0.0.1:${server.port} (user root, password in ${join(dir, 'secret.json')}); data in ${dir}`);
    print(`  it keeps running for you to inspect; stop it with: kill ${server.pid}`);
    return 0;
  },
};
