import { UsageError } from '../../core/errors.js';
import { openBus } from '../../pipelines/bus/index.js';
import type { Command } from '../cli.js';
import { closeAll, type RoleContext } from '../roles/role-context.js';
import { startEmailWorker, startSearchWorker, startWarehouseWorker, startWebhooksWorker, WORKER_GROUPS, type WorkerRole } from '../roles/workers.js';
import { runUntilSignal } from '../shutdown.js';
import { openDatabase } from './open-database.js';

const ROLES = Object.keys(WORKER_GROUPS) as WorkerRole[];
const START = { search: startSearchWorker, warehouse: startWarehouseWorker, webhooks: startWebhooksWorker, email: startEmailWorker };

export const workerCommand: Command = {
  summary: 'run one consumer role alone (several processes share its consumer group on Kafka)',
  usage: `steveslist worker <${ROLES.join('|')}>`,
  longRunning: true,
  async run(context) {
    const [role, ...rest] = context.args;
    if (!role || rest.length > 0 || !ROLES.includes(role as WorkerRole)) throw new UsageError(`usage: ${workerCommand.usage}`);
    const { config, log } = context;
    const db = await openDatabase(context);
    const closers: (() => Promise<void>)[] = [db.close];
    const shutdown = () => closeAll(closers, log);
    try {
      const bus = await openBus(config, log);
      closers.push(() => bus.close());
      const ctx: RoleContext = { config, log, db, bus, closers };
      await START[role as WorkerRole](ctx);
      const stopped = runUntilSignal(log, shutdown);
      log.info({ role, group: WORKER_GROUPS[role as WorkerRole], bus: bus.kind }, 'worker running; Ctrl-C stops it');
      return await stopped;
    } catch (error) {
      await shutdown();
      throw error;
    }
  },
};
