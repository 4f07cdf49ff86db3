import { UsageError } from '../../core/errors.js';
import { openBus } from '../../pipelines/bus/index.js';
import { FileStateStore } from '../../pipelines/cdc/reader-state.js';
import { openSearch } from '../../pipelines/sinks/search/index.js';
import type { Command } from '../cli.js';
import { closeAll, type RoleContext } from '../roles/role-context.js';
import { startAdminServer, startPublicServer } from '../roles/servers.js';
import { WORKER_GROUPS } from '../roles/workers.js';
import { runUntilSignal } from '../shutdown.js';
import { openDatabase } from './open-database.js';

export const serveCommand: Command = {
  summary: 'run one HTTP role alone: the public API (with search and the web app) or the admin service',
  usage: 'steveslist serve <api|admin>',
  longRunning: true,
  async run(context) {
    const [role, ...rest] = context.args;
    if ((role !== 'api' && role !== 'admin') || rest.length > 0) throw new UsageError(`usage: ${serveCommand.usage}`);
    const { config, log } = context;
    const db = await openDatabase(context);
    const closers: (() => Promise<void>)[] = [db.close];
    const shutdown = () => closeAll(closers, log);
    try {
      let address: string;
      if (role === 'api') {
        const search = await openSearch(config);
        closers.push(() => search.close());
        address = await startPublicServer({ config, log, db, closers }, search);
      } else {
        // Pipeline status from the bus and the position change capture saves, wherever it runs.
        const bus = await openBus(config, log);
        closers.push(() => bus.close());
        const ctx: RoleContext = { config, log, db, bus, closers };
        address = await startAdminServer(ctx, {
          pipeline: { bus, topicPrefix: config.topicPrefix, groups: Object.values(WORKER_GROUPS), cdcState: new FileStateStore(config.cdc.dir) },
        });
      }
      const stopped = runUntilSignal(log, shutdown);
      log.info({ role, address }, 'serving; Ctrl-C stops it');
      return await stopped;
    } catch (error) {
      await shutdown();
      throw error;
    }
  },
};
