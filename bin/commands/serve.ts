import { UsageError } from '../../core/errors.js';
import { openBus } from '../../pipelines/bus/index.js';
import { FileStateStore } from '../../pipelines/cdc/reader-state.js';
import { Scheduler } from '../../pipelines/scheduler/index.js';
import { servedMartFreshness } from '../../warehouse/index.js';
import type { Command } from '../command.js';
import { closeAll, type RoleContext } from '../roles/role-context.js';
import { startAdminServer, startPublicServer, warmAfterStart } from '../roles/servers.js';
import { openSearchService, WORKER_GROUPS } from '../roles/workers.js';
import { waitForService } from '../roles/wait-for-service.js';
import { runUntilSignal } from '../shutdown.js';
import { openDatabase } from './open-database.js';
import { jobsFor } from './platform-jobs.js';

export const serveCommand: Command = {
  summary: 'run one HTTP role alone: the public API (with search and the web app) or the admin service',
  usage: 'steveslist serve <api|admin>',
  examples: ['npx steveslist serve api'],
  longRunning: true,
  async run(context) {
    const [role, ...rest] = context.args;
    if ((role !== 'api' && role !== 'admin') || rest.length > 0) throw new UsageError(`usage: ${serveCommand.usage}`);
    const { config, log } = context;
    // In a scale-out stack a role may start before its servers: it waits for them, for a while.
    const wait = { timeoutMs: config.startupWaitMs, log };
    const db = await waitForService(() => openDatabase(context), wait);
    const closers: (() => Promise<void>)[] = [db.close];
    const shutdown = () => closeAll(closers, log);
    try {
      let address: string;
      if (role === 'api') {
        const search = await openSearchService(context);
        closers.push(() => search.close());
        address = await startPublicServer({ config, log, db, closers }, search);
        warmAfterStart(log);
      } else {
        // Pipeline status from the bus and the position change capture saves, wherever it runs.
        const bus = await waitForService(() => openBus(config, log), wait);
        closers.push(() => bus.close());
        const ctx: RoleContext = { config, log, db, bus, closers };
        address = await startAdminServer(ctx, {
          pipeline: {
            bus, topicPrefix: config.topicPrefix, groups: Object.values(WORKER_GROUPS), cdcState: new FileStateStore(config.cdc.dir),
            // The marts' ages from the warehouse role's ledger, over the warehouse it serves.
            marts: servedMartFreshness(config.warehouse),
          },
          // Without SMTP_URL, `worker email` on this machine keeps its mailbox in the same folder.
          mailboxDir: config.mail.smtpUrl ? undefined : config.mail.mailboxDir,
          // Not started: it only lists the jobs and their next runs; `steveslist scheduler` runs them.
          scheduler: new Scheduler({ pool: db.pool, jobs: jobsFor(config, db), log }),
        });
      }
      // The admin service looks up no places: its routes' validators only.
      if (role !== 'api') warmAfterStart(log, { gazetteer: false });
      const stopped = runUntilSignal(log, shutdown);
      log.info({ role, address }, 'serving; Ctrl-C stops it');
      return await stopped;
    } catch (error) {
      await shutdown();
      throw error;
    }
  },
};
