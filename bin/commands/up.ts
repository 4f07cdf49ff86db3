import { buildPublicServer, listen } from '../../api/public/server.js';
import type { Command } from '../cli.js';
import { openDatabase } from './open-database.js';

/**
 * Everything on one machine in one process. For now: the private MariaDB (or MYSQL_URL),
 * migrations and the public server's health endpoint; later roles join here.
 */
export const upCommand: Command = {
  summary: 'run the whole platform in this process (private MariaDB unless MYSQL_URL is set)',
  usage: 'steveslist up',
  async run(context) {
    const { config, log } = context;
    const db = await openDatabase(context);
    let app: Awaited<ReturnType<typeof buildPublicServer>> | undefined;
    const shutdown = async () => {
      await app?.close().catch((error: unknown) => log.error({ err: error }, 'closing the public server failed'));
      await db.close();
    };
    try {
      app = await buildPublicServer({ pool: db.pool, log });
      const address = await listen(app, config.http.host, config.http.port);
      log.info({ health: `${address}/health` }, 'steveslist is up; Ctrl-C stops it');
    } catch (error) {
      await shutdown();
      throw error;
    }

    const signal = await new Promise<NodeJS.Signals>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    log.info({ signal }, 'shutting down');
    const force = () => process.exit(130);
    process.once('SIGINT', force);
    process.once('SIGTERM', force);
    await shutdown();
    process.off('SIGINT', force);
    process.off('SIGTERM', force);
    log.info('stopped');
    // pino-pretty's worker thread flushes on exit; nothing else is left to keep the loop alive.
    return 0;
  },
};
