// The private MariaDB that the one-machine mode and the tests run: its own datadir, a port on
// 127.0.0.1, binlog in ROW format with full images. It never uses the system's server or config
// (--no-defaults), so the machine's own MariaDB is left alone.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes, createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import mysql from 'mysql2/promise';
import { EnvironmentError, PlatformError, ServiceUnavailable } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { formatMysqlUrl } from './connection.js';
import { assertPortFree, freePort, portInUse } from '../../core/ports.js';
import { commandLine, isAlive, terminate } from '../../core/process-control.js';
import { ensureServerBinary, type ServerBinary } from './server-binary.js';

export type BinlogFormat = 'ROW' | 'STATEMENT' | 'MIXED';
export type BinlogRowMetadata = 'FULL' | 'MINIMAL' | 'NO_LOG';

export interface LocalMysqlOptions {
  /** Folder the server owns: the datadir proper lives in `data/` below it. */
  dataDir: string;
  /** Port on 127.0.0.1; undefined takes a free one. */
  port?: number;
  /** Database created on first start and named in `url`. */
  database?: string;
  /** ROW unless a test needs to prove that anything else is refused. */
  binlogFormat?: BinlogFormat;
  /** FULL unless a test needs a server as most run theirs (MINIMAL, or MariaDB's default NO_LOG). */
  binlogRowMetadata?: BinlogRowMetadata;
  serverId?: number;
  log: Logger;
  binary?: ServerBinary;
  /** Names used in error messages, so they point at the setting to change. */
  settings?: { dataDir: string; port: string };
  startTimeoutMs?: number;
}

interface ServerState {
  pid: number;
  port: number;
  ownerPid: number;
  startedAt: string;
}

const HOST = '127.0.0.1';
const DEFAULT_DATABASE = 'steveslist';
const DEFAULT_SETTINGS = { dataDir: 'MYSQL_DATA_DIR', port: 'MYSQL_PORT' };
// Unix socket paths are limited to ~107 bytes; deep datadirs put the socket in the temp dir.
const MAX_SOCKET_PATH = 100;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class LocalMysqlServer {
  private constructor(
    readonly dataDir: string,
    readonly port: number,
    readonly pid: number,
    readonly database: string,
    private readonly rootPassword: string,
    /** False when another live process runs this server; then stop() leaves it running. */
    readonly owned: boolean,
    private readonly log: Logger,
  ) {}

  /** Root connection URL for the platform's database (or another one on the same server). */
  url(database = this.database): string {
    return formatMysqlUrl({ host: HOST, port: this.port, user: 'root', password: this.rootPassword, database });
  }

  /**
   * Starts the server (initialising the datadir the first time), adopts one left running by a
   * process that died, or attaches to one another live process runs.
   */
  static async open(options: LocalMysqlOptions): Promise<LocalMysqlServer> {
    const settings = options.settings ?? DEFAULT_SETTINGS;
    const dataDir = resolve(options.dataDir);
    const database = options.database ?? DEFAULT_DATABASE;
    const paths = pathsFor(dataDir);
    prepareDataDir(dataDir, settings.dataDir);

    const running = runningServer(paths);
    if (running) {
      const password = readSecret(paths);
      const ownerAlive = running.ownerPid !== process.pid && isAlive(running.ownerPid);
      if (ownerAlive) {
        options.log.info({ serverPid: running.pid, port: running.port }, 'using the private MariaDB another steveslist process runs');
      } else {
        options.log.info({ serverPid: running.pid, port: running.port }, 'adopting the private MariaDB an earlier run left running');
        writeState(paths, { ...running, ownerPid: process.pid });
      }
      return new LocalMysqlServer(dataDir, running.port, running.pid, database, password, !ownerAlive, options.log);
    }

    if (options.port !== undefined) await assertPortFree(HOST, options.port, settings.port);
    const binary = options.binary ?? ensureServerBinary(options.log);
    if (!existsSync(paths.initialized)) await initialise(binary, paths, database, options, settings);

    const password = readSecret(paths);
    for (let attempt = 1; ; attempt++) {
      const port = options.port ?? (await freePort(HOST));
      try {
        const child = spawnServer(binary, paths, { ...options, port });
        await waitUntilReady(child, paths, { host: HOST, port, user: 'root', password }, {
          timeoutMs: options.startTimeoutMs ?? 60_000,
          dataSetting: settings.dataDir,
        });
        writeState(paths, { pid: child.pid!, port, ownerPid: process.pid, startedAt: new Date().toISOString() });
        options.log.info({ port, dataDir }, 'private MariaDB is up');
        return new LocalMysqlServer(dataDir, port, child.pid!, database, password, true, options.log);
      } catch (error) {
        // A free port can be taken between asking for it and binding it: try another one.
        if (error instanceof PortTaken && options.port === undefined && attempt < 3) continue;
        if (error instanceof PortTaken) throw portInUse(HOST, port, settings.port);
        throw error;
      }
    }
  }

  /** Shuts the server down cleanly (SIGTERM, as mysqld expects) if this process owns it. */
  private stopped = false;

  async stop(): Promise<void> {
    if (!this.owned || this.stopped) return;
    this.stopped = true;
    this.log.info({ serverPid: this.pid }, 'stopping the private MariaDB');
    await terminate(this.pid);
    rmSync(pathsFor(this.dataDir).state, { force: true });
  }
}

class PortTaken extends Error {}

function pathsFor(dataDir: string) {
  const socketHere = join(dataDir, 'mysqld.sock');
  const socket = socketHere.length <= MAX_SOCKET_PATH
    ? socketHere
    : join(tmpdir(), `steveslist-${createHash('sha256').update(dataDir).digest('hex').slice(0, 12)}.sock`);
  return {
    root: dataDir,
    data: join(dataDir, 'data'),
    state: join(dataDir, 'server.json'),
    secret: join(dataDir, 'secret.json'),
    errorLog: join(dataDir, 'error.log'),
    // The server's own temporary folder: servers initialising at once in the system's /tmp name
    // their temporary tables alike and delete each other's ("Unknown table 'mysql.tmp_user_sys'").
    tmp: join(dataDir, 'tmp'),
    pidFile: join(dataDir, 'mysqld.pid'),
    initialized: join(dataDir, 'initialized'),
    initializing: join(dataDir, 'initializing'),
    socket,
  };
}
type Paths = ReturnType<typeof pathsFor>;

function prepareDataDir(dataDir: string, setting: string): void {
  if (!existsSync(dataDir)) {
    try {
      mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    } catch (error) {
      throw new EnvironmentError(`${setting}: cannot create ${dataDir} (${(error as NodeJS.ErrnoException).code}); choose a folder you can write to`);
    }
    return;
  }
  const stat = statSync(dataDir);
  if (!stat.isDirectory()) throw new EnvironmentError(`${setting}: ${dataDir} is not a folder`);
  const uid = process.getuid?.();
  // A datadir of another user (the system's /var/lib/mysql, say) is never ours to start or change.
  if (uid !== undefined && stat.uid !== uid) {
    throw new EnvironmentError(`${setting}: ${dataDir} belongs to uid ${stat.uid}, not to you (uid ${uid}); point ${setting} at a folder of your own`);
  }
  const paths = pathsFor(dataDir);
  if (!existsSync(paths.initialized) && !existsSync(paths.initializing) && existsSync(paths.data) && readdirSync(paths.data).length > 0) {
    throw new EnvironmentError(`${setting}: ${paths.data} holds files steveslist did not create; point ${setting} at a new or empty folder`);
  }
}

function runningServer(paths: Paths): ServerState | undefined {
  if (!existsSync(paths.state)) return undefined;
  const state = JSON.parse(readFileSync(paths.state, 'utf8')) as ServerState;
  const cmd = commandLine(state.pid);
  const isOurs = isAlive(state.pid) && (cmd === undefined || cmd.includes(paths.data));
  if (isOurs) return state;
  rmSync(paths.state, { force: true });
  return undefined;
}

function writeState(paths: Paths, state: ServerState): void {
  writeFileSync(paths.state, `${JSON.stringify(state, null, 2)}\n`);
}

function readSecret(paths: Paths): string {
  return (JSON.parse(readFileSync(paths.secret, 'utf8')) as { rootPassword: string }).rootPassword;
}

function serverArgs(
  paths: Paths,
  options: { port?: number; binlogFormat?: BinlogFormat; binlogRowMetadata?: BinlogRowMetadata; serverId?: number; networking: boolean },
): string[] {
  const args = [
    '--no-defaults',
    `--datadir=${paths.data}`,
    `--tmpdir=${paths.tmp}`,
    `--socket=${paths.socket}`,
    `--pid-file=${paths.pidFile}`,
    `--log-error=${paths.errorLog}`,
    '--log-bin=binlog',
    `--binlog-format=${options.binlogFormat ?? 'ROW'}`,
    '--binlog-row-image=FULL',
    `--binlog-row-metadata=${options.binlogRowMetadata ?? 'FULL'}`,
    // Without sync_binlog=1 a machine crash can lose binlog events of committed transactions,
    // which change capture would then never see.
    '--sync-binlog=1',
    '--binlog-expire-logs-seconds=604800',
    `--server-id=${options.serverId ?? 1}`,
    // A replica's binlog then carries what it replicates too: change capture can read from a
    // replica, and resume by GTID on one that was promoted.
    '--log-slave-updates=ON',
    '--character-set-server=utf8mb4',
    '--collation-server=utf8mb4_unicode_ci',
    '--default-time-zone=+00:00',
    '--skip-name-resolve',
    // A point-in-time restore replays all the row changes of one statement as one BINLOG statement.
    '--max-allowed-packet=1G',
    '--max-connections=300',
    '--innodb-buffer-pool-size=256M',
  ];
  if (options.networking) args.push(`--bind-address=${HOST}`, `--port=${options.port}`);
  else args.push('--skip-networking');
  if (process.getuid?.() === 0) args.push('--user=root');
  return args;
}

function spawnServer(binary: ServerBinary, paths: Paths, options: LocalMysqlOptions & { port: number }): ChildProcess {
  rmSync(paths.errorLog, { force: true });
  mkdirSync(paths.tmp, { recursive: true });
  const child = spawn(binary.server, serverArgs(paths, { ...options, networking: true }), { detached: true, stdio: 'ignore' });
  // Detached in its own process group so a Ctrl-C in the terminal reaches us, and we shut the
  // server down in order, instead of both receiving SIGINT at once.
  child.unref();
  return child;
}

function errorLogTail(paths: Paths): string {
  try {
    return readFileSync(paths.errorLog, 'utf8');
  } catch {
    return '';
  }
}

function startFailure(paths: Paths, dataSetting: string): PlatformError | PortTaken {
  const log = errorLogTail(paths);
  if (/Address already in use|Bind on TCP\/IP port/i.test(log)) return new PortTaken();
  if (/Unable to lock|lock .*ibdata/i.test(log)) {
    return new EnvironmentError(`${dataSetting}: ${paths.data} is in use by another MariaDB process`);
  }
  const firstError = log.split('\n').find((line) => /\[ERROR\]/.test(line));
  return new EnvironmentError(`the private MariaDB did not start: ${firstError?.replace(/^.*\[ERROR\]\s*/, '') ?? 'no error in the log'} (see ${paths.errorLog})`);
}

async function waitUntilReady(
  child: ChildProcess,
  paths: Paths,
  connect: mysql.ConnectionOptions,
  options: { timeoutMs: number; dataSetting: string },
): Promise<void> {
  let exited = false;
  child.once('exit', () => { exited = true; });
  const deadline = Date.now() + options.timeoutMs;
  while (Date.now() < deadline) {
    if (exited) throw startFailure(paths, options.dataSetting);
    try {
      const connection = await mysql.createConnection({ ...connect, connectTimeout: 2_000 });
      await connection.end();
      return;
    } catch {
      await sleep(100);
    }
  }
  await terminate(child.pid!, 5_000);
  throw new ServiceUnavailable(`the private MariaDB did not accept connections within ${options.timeoutMs / 1000}s (see ${paths.errorLog})`);
}

/**
 * Creates the datadir, gives root a random password kept in secret.json (mode 0600) and creates
 * the platform's database. The first start runs without networking so the password-less root
 * is never reachable over TCP.
 */
async function initialise(
  binary: ServerBinary,
  paths: Paths,
  database: string,
  options: LocalMysqlOptions,
  settings: { dataDir: string },
): Promise<void> {
  options.log.info({ dataDir: paths.data }, 'initialising a private MariaDB datadir');
  writeFileSync(paths.initializing, '');
  rmSync(paths.data, { recursive: true, force: true });
  mkdirSync(paths.tmp, { recursive: true });
  const asRoot = process.getuid?.() === 0 ? ['--user=root'] : [];
  const init = binary.flavour === 'mariadb'
    ? spawnSync(binary.installDb ?? 'mariadb-install-db', ['--no-defaults', `--datadir=${paths.data}`, `--tmpdir=${paths.tmp}`, '--auth-root-authentication-method=normal', '--skip-test-db', ...asRoot], { encoding: 'utf8' })
    : spawnSync(binary.server, ['--no-defaults', '--initialize-insecure', `--datadir=${paths.data}`, `--tmpdir=${paths.tmp}`, ...asRoot], { encoding: 'utf8' });
  if (init.status !== 0) {
    throw new EnvironmentError(`initialising ${paths.data} failed: ${(init.stderr || init.stdout || String(init.error)).trim().split('\n').slice(-3).join(' ')}`);
  }

  const password = randomBytes(18).toString('base64url');
  writeFileSync(paths.secret, `${JSON.stringify({ rootPassword: password })}\n`, { mode: 0o600 });

  rmSync(paths.errorLog, { force: true });
  const child = spawn(binary.server, serverArgs(paths, { ...options, networking: false }), { detached: true, stdio: 'ignore' });
  child.unref();
  try {
    const viaSocket = { socketPath: paths.socket, user: 'root', password: '' };
    await waitUntilReady(child, paths, viaSocket, { timeoutMs: options.startTimeoutMs ?? 60_000, dataSetting: settings.dataDir });
    const connection = await mysql.createConnection(viaSocket);
    try {
      const [roots] = await connection.query<mysql.RowDataPacket[]>("SELECT Host AS host FROM mysql.user WHERE User = 'root'");
      for (const { host } of roots) {
        // The server runs with skip-name-resolve, so root@<hostname> can never log in: drop it.
        if (['localhost', '127.0.0.1', '::1'].includes(host)) await connection.query('ALTER USER ?@? IDENTIFIED BY ?', ['root', host, password]);
        else await connection.query('DROP USER ?@?', ['root', host]);
      }
      await connection.query("DELETE FROM mysql.global_priv WHERE user = ''").catch(() => undefined);
      await connection.query(`CREATE DATABASE IF NOT EXISTS \`${database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
      await connection.query('FLUSH PRIVILEGES');
    } finally {
      await connection.end();
    }
  } catch (error) {
    if (error instanceof PlatformError) throw error;
    throw new EnvironmentError(`initialising ${paths.data} failed: ${(error as Error).message}`, { cause: error });
  } finally {
    await terminate(child.pid!);
  }
  writeFileSync(paths.initialized, `${new Date().toISOString()}\n`);
  rmSync(paths.initializing, { force: true });
}
