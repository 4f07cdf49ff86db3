// Opens the source of truth: the MYSQL_URL server (checked for what CDC needs) or the private
// MariaDB of the one-machine mode.
import type { Config } from '../../core/config/index.js';
import type { Logger } from '../../core/log.js';
import { connectMysql } from './connection.js';
import { LocalMysqlServer } from './local-server.js';
import { assertCdcSource, type SourceFacts } from './source-checks.js';

export interface MysqlSource {
  /** Connection URL of the platform's database. */
  url: string;
  /** The private server, when the platform runs one. */
  server: LocalMysqlServer | undefined;
  facts: SourceFacts;
  /** Stops the private server if this process started it; an external server is left alone. */
  close(): Promise<void>;
}

export async function openMysqlSource(config: Config, log: Logger): Promise<MysqlSource> {
  const server = config.mysql.url
    ? undefined
    : await LocalMysqlServer.open({ dataDir: config.mysql.dataDir, port: config.mysql.port, log });
  const url = config.mysql.url ?? server!.url();
  try {
    const connection = await connectMysql(url, { noDatabase: true });
    try {
      const facts = await assertCdcSource(connection);
      log.info({ version: facts.version, binlogFormat: facts.binlogFormat }, 'MySQL source ready for change capture');
      return { url, server, facts, close: async () => server?.stop() };
    } finally {
      await connection.end();
    }
  } catch (error) {
    await server?.stop();
    throw error;
  }
}

export { LocalMysqlServer } from './local-server.js';
export * from './connection.js';
