import { chownSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/fixtures/temp-dir.js';
import { EnvironmentError } from '../../core/errors.js';
import { silentLogger } from '../../core/log.js';
import { connectMysql, type RowDataPacket } from './connection.js';
import { LocalMysqlServer } from './local-server.js';
import { isAlive } from '../../core/process-control.js';
import { findServerBinary, installPlan } from './server-binary.js';

const dir = tempDir();
afterAll(() => dir.remove());
const log = silentLogger();

async function variables(url: string): Promise<Record<string, string>> {
  const connection = await connectMysql(url);
  try {
    const [rows] = await connection.query<RowDataPacket[]>(
      "SHOW GLOBAL VARIABLES WHERE Variable_name IN ('log_bin', 'binlog_format', 'binlog_row_image', 'binlog_row_metadata', 'server_id', 'bind_address', 'character_set_server', 'sync_binlog')",
    );
    return Object.fromEntries(rows.map((row) => [row.Variable_name, row.Value]));
  } finally {
    await connection.end();
  }
}

describe('the private MariaDB', () => {
  it('starts on 127.0.0.1 with ROW binlog and full images, stops cleanly, and restarts on the same data', async () => {
    const dataDir = join(dir.path, 'reuse');
    const first = await LocalMysqlServer.open({ dataDir, log });
    expect(await variables(first.url())).toEqual({
      log_bin: 'ON', binlog_format: 'ROW', binlog_row_image: 'FULL', binlog_row_metadata: 'FULL', server_id: '1',
      bind_address: '127.0.0.1', character_set_server: 'utf8mb4', sync_binlog: '1',
    });
    const connection = await connectMysql(first.url());
    await connection.query('CREATE TABLE kept (id INT PRIMARY KEY)');
    await connection.query('INSERT INTO kept VALUES (42)');
    await connection.end();
    await first.stop();
    expect(isAlive(first.pid)).toBe(false);

    const second = await LocalMysqlServer.open({ dataDir, log });
    try {
      const again = await connectMysql(second.url());
      const [rows] = await again.query<RowDataPacket[]>('SELECT id FROM kept');
      await again.end();
      expect(rows).toEqual([{ id: 42 }]);
    } finally {
      await second.stop();
    }
  });

  it('keeps the root password out of everything but its 0600 secret file', async () => {
    const dataDir = join(dir.path, 'secret');
    const server = await LocalMysqlServer.open({ dataDir, log });
    await server.stop();
    const { rootPassword } = JSON.parse(readFileSync(join(dataDir, 'secret.json'), 'utf8')) as { rootPassword: string };
    expect(rootPassword).toMatch(/^[\w-]{24}$/);
    expect(readFileSync(join(dataDir, 'error.log'), 'utf8')).not.toContain(rootPassword);
    expect(statSync(join(dataDir, 'secret.json')).mode & 0o777).toBe(0o600);
  });

  it('adopts a server whose owning process died instead of starting a second one', async () => {
    const dataDir = join(dir.path, 'adopt');
    const first = await LocalMysqlServer.open({ dataDir, log });
    // Pretend the process that started it was killed: its pid is no longer alive.
    const statePath = join(dataDir, 'server.json');
    const state = JSON.parse(readFileSync(statePath, 'utf8'));
    writeFileSync(statePath, JSON.stringify({ ...state, ownerPid: 2 ** 22 + 1 }));
    const adopted = await LocalMysqlServer.open({ dataDir, log });
    expect(adopted.pid).toBe(first.pid);
    expect(adopted.owned).toBe(true);
    await adopted.stop();
    expect(isAlive(first.pid)).toBe(false);
  });

  it('refuses a taken MYSQL_PORT with a one-line error', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const error = await LocalMysqlServer.open({ dataDir: join(dir.path, 'port'), port, log }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(EnvironmentError);
      expect((error as Error).message).toBe(`MYSQL_PORT: 127.0.0.1:${port} is already in use; stop what listens there or set MYSQL_PORT to another port`);
    } finally {
      blocker.close();
    }
  });

  it.runIf(process.getuid?.() === 0)('refuses a datadir that belongs to another user', async () => {
    const dataDir = join(dir.path, 'foreign');
    mkdirSync(dataDir);
    chownSync(dataDir, 65534, 65534);
    await expect(LocalMysqlServer.open({ dataDir, log })).rejects.toThrow(
      `MYSQL_DATA_DIR: ${dataDir} belongs to uid 65534, not to you (uid 0); point MYSQL_DATA_DIR at a folder of your own`,
    );
  });

  it('refuses a datadir holding files it did not create', async () => {
    const dataDir = join(dir.path, 'occupied');
    mkdirSync(join(dataDir, 'data'), { recursive: true });
    writeFileSync(join(dataDir, 'data', 'ibdata1'), 'not ours');
    await expect(LocalMysqlServer.open({ dataDir, log })).rejects.toThrow(/holds files steveslist did not create/);
    expect(existsSync(join(dataDir, 'data', 'ibdata1'))).toBe(true);
  });
});

describe('finding or installing the server', () => {
  it('finds mariadbd in the system folders even with an empty PATH', () => {
    const found = findServerBinary('');
    expect(found?.flavour).toBe('mariadb');
    expect(found?.installDb).toMatch(/mariadb-install-db|mysql_install_db/);
  });

  it('installs with apt only as root on Debian/Ubuntu, and otherwise says what to run', () => {
    expect(installPlan({ uid: 0, platform: 'linux', isDebianLike: true })).toEqual({ install: true });
    const asUser = installPlan({ uid: 1000, platform: 'linux', isDebianLike: true });
    expect(asUser).toEqual({ install: false, message: expect.stringContaining('sudo apt-get update && sudo apt-get install -y mariadb-server') });
    const mac = installPlan({ uid: 501, platform: 'darwin', isDebianLike: false });
    expect(mac).toEqual({ install: false, message: expect.stringContaining('brew install mariadb') });
  });
});
