// Finds the MariaDB/MySQL server binary for the private server, installing MariaDB with apt
// where that is possible and otherwise saying exactly what to run.
import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { EnvironmentError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';

export interface ServerBinary {
  /** mariadbd or mysqld. */
  server: string;
  flavour: 'mariadb' | 'mysql';
  version: string;
  /** mariadb-install-db for MariaDB; MySQL initialises with `mysqld --initialize-insecure`. */
  installDb: string | undefined;
}

const SERVER_NAMES = ['mariadbd', 'mysqld'];
const INSTALL_DB_NAMES = ['mariadb-install-db', 'mysql_install_db'];
const EXTRA_DIRS = ['/usr/sbin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin', '/usr/local/mysql/bin', '/opt/homebrew/bin'];

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function searchDirs(pathVar: string | undefined): string[] {
  return [...(pathVar ?? '').split(delimiter).filter(Boolean), ...EXTRA_DIRS];
}

function findIn(dirs: string[], names: string[]): string | undefined {
  for (const name of names) {
    for (const dir of dirs) {
      const candidate = join(dir, name);
      if (executable(candidate)) return candidate;
    }
  }
  return undefined;
}

/** The first of `names` found on PATH or in the usual system folders (client tools: mariadb-dump, ...). */
export function findTool(names: readonly string[], pathVar: string | undefined = process.env.PATH): string | undefined {
  return findIn(searchDirs(pathVar), [...names]);
}

/** Looks for a server binary on PATH and in the usual system folders. */
export function findServerBinary(pathVar: string | undefined = process.env.PATH): ServerBinary | undefined {
  const dirs = searchDirs(pathVar);
  const server = findIn(dirs, SERVER_NAMES);
  if (!server) return undefined;
  const version = execFileSync(server, ['--version'], { encoding: 'utf8' }).trim();
  const flavour = /mariadb/i.test(version) ? 'mariadb' : 'mysql';
  const installDb = flavour === 'mariadb' ? findIn([dirname(server), ...dirs], INSTALL_DB_NAMES) : undefined;
  return { server, flavour, version, installDb };
}

export interface InstallContext {
  uid: number;
  platform: NodeJS.Platform;
  isDebianLike: boolean;
}

export const INSTALL_COMMAND = 'apt-get install -y mariadb-server';

/**
 * Decides what to do when no server binary exists: install it ourselves (root on Debian/Ubuntu)
 * or stop with the command the user must run.
 */
export function installPlan(context: InstallContext): { install: true } | { install: false; message: string } {
  if (context.platform === 'linux' && context.isDebianLike && context.uid === 0) return { install: true };
  const how = context.platform === 'darwin'
    ? 'brew install mariadb'
    : context.isDebianLike
      ? `sudo apt-get update && sudo ${INSTALL_COMMAND}`
      : "your distribution's mariadb-server package";
  return {
    install: false,
    message: `MariaDB is not installed (no mariadbd or mysqld on PATH or in /usr/sbin); install it with: ${how} — or set MYSQL_URL to an existing server`,
  };
}

function currentInstallContext(): InstallContext {
  return {
    uid: process.getuid?.() ?? -1,
    platform: process.platform,
    isDebianLike: existsSync('/etc/debian_version') && existsSync('/usr/bin/apt-get'),
  };
}

/** Finds the server binary, installing MariaDB with apt when running as root on Debian/Ubuntu. */
export function ensureServerBinary(log: Logger): ServerBinary {
  const found = findServerBinary();
  if (found) return found;
  const plan = installPlan(currentInstallContext());
  if (!plan.install) throw new EnvironmentError(plan.message);

  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update'], ['install', '-y', 'mariadb-server']]) {
    log.warn(`MariaDB is not installed; running: apt-get ${args.join(' ')}`);
    const result = spawnSync('apt-get', args, { stdio: ['ignore', 2, 2], env });
    if (result.status !== 0) {
      throw new EnvironmentError(`apt-get ${args.join(' ')} failed (exit ${result.status}); install mariadb-server yourself or set MYSQL_URL`);
    }
  }
  const installed = findServerBinary();
  if (!installed) throw new EnvironmentError('mariadb-server was installed but no mariadbd was found on PATH or in /usr/sbin');
  return installed;
}
