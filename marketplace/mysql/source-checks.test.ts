import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { tempDir } from '../../test/fixtures/temp-dir.js';
import { SourceMisconfigured } from '../../core/errors.js';
import { silentLogger } from '../../core/log.js';
import { connectMysql, parseMysqlUrl, withDatabase, formatMysqlUrl } from './connection.js';
import { LocalMysqlServer } from './local-server.js';
import { assertCdcSource, sourceProblems, type SourceFacts } from './source-checks.js';

const GOOD: SourceFacts = {
  version: '10.11.19-MariaDB', logBin: true, binlogFormat: 'ROW', binlogRowImage: 'FULL', serverId: 1,
  grants: ['GRANT ALL PRIVILEGES ON *.* TO `root`@`localhost`'], canListBinlogs: true,
};

async function problemsAt(url: string): Promise<string[]> {
  const connection = await connectMysql(url, { noDatabase: true });
  try {
    await assertCdcSource(connection);
    return [];
  } catch (error) {
    expect(error).toBeInstanceOf(SourceMisconfigured);
    return [...(error as SourceMisconfigured).problems];
  } finally {
    await connection.end();
  }
}

describe('what change capture needs from the source', () => {
  it('accepts the private server as the platform starts it', async () => {
    expect(await problemsAt(inject('mysqlUrl'))).toEqual([]);
  });

  it('names each missing server setting with the statement that fixes it', () => {
    expect(sourceProblems({ ...GOOD, logBin: false, binlogRowImage: 'MINIMAL', serverId: 0 })).toEqual([
      'MYSQL_URL: binary logging is off; CDC needs it (start the server with --log-bin --binlog-format=ROW --server-id=1; it cannot be switched on at runtime)',
      'MYSQL_URL: binlog_row_image is MINIMAL; CDC needs FULL or unlogged columns look like NULL (SET GLOBAL binlog_row_image=FULL, and in the server\'s config)',
      'MYSQL_URL: server_id is 0; replication needs a non-zero id (SET GLOBAL server_id=1, and in the server\'s config)',
    ]);
  });

  it('refuses a user that may not read the binlog, naming the grant', async () => {
    const root = inject('mysqlUrl');
    const admin = await connectMysql(root);
    try {
      await admin.query("CREATE USER IF NOT EXISTS 'no_repl'@'127.0.0.1' IDENTIFIED BY 'pw-no-repl'");
      await admin.query("GRANT ALL PRIVILEGES ON steveslist.* TO 'no_repl'@'127.0.0.1'");
    } finally {
      await admin.end();
    }
    const url = formatMysqlUrl({ ...parseMysqlUrl(root), user: 'no_repl', password: 'pw-no-repl' });
    expect(await problemsAt(url)).toEqual([
      'MYSQL_URL: the user may not read the binlog (GRANT REPLICATION SLAVE, BINLOG MONITOR ON *.* TO <user>)',
    ]);
  });

  describe('a server running with binlog_format=STATEMENT', () => {
    const dir = tempDir();
    let server: LocalMysqlServer;
    beforeAll(async () => {
      server = await LocalMysqlServer.open({ dataDir: join(dir.path, 'mysql'), binlogFormat: 'STATEMENT', log: silentLogger() });
    });
    afterAll(async () => {
      await server?.stop();
      dir.remove();
    });

    it('is refused with the fix', async () => {
      expect(await problemsAt(withDatabase(server.url(), 'steveslist'))).toEqual([
        "MYSQL_URL: binlog_format is STATEMENT; CDC needs ROW (SET GLOBAL binlog_format=ROW, and binlog_format=ROW in the server's config so it survives a restart)",
      ]);
    });
  });
});
