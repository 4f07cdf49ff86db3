import { join } from 'node:path';
import { UsageError } from '../../core/errors.js';
import { openBus } from '../../pipelines/bus/index.js';
import type { Command } from '../command.js';
import { startHeartbeat } from '../roles/heartbeat.js';
import { closeAll, type RoleContext } from '../roles/role-context.js';
import { Supervisor } from '../roles/supervisor.js';
import { startEmailWorker, startListingChecksWorker, startSearchAlertsWorker, startSearchWorker, startSmsWorker, startSpamChecksWorker, startWarehouseWorker, startWebhooksWorker, WORKER_GROUPS, type WorkerRole } from '../roles/workers.js';
import { waitForService } from '../roles/wait-for-service.js';
import { runUntilSignal } from '../shutdown.js';
import { openDatabase } from './open-database.js';

const ROLES = Object.keys(WORKER_GROUPS) as WorkerRole[];
/** Rewritten every 15 s while the worker can read its group's lag from the bus; the compose health check reads its age. */
export const heartbeatPath = (dataDir: string, role: string) => join(dataDir, 'health', `worker-${role}.json`);
const START = { search: startSearchWorker, warehouse: startWarehouseWorker, webhooks: startWebhooksWorker, email: startEmailWorker, 'search-alerts': startSearchAlertsWorker,
  'listing-checks': startListingChecksWorker, 'spam-checks': startSpamChecksWorker, sms: startSmsWorker };

export const workerCommand: Command = {
  summary: 'run one consumer role alone (several processes share its consumer group on Kafka)',
  usage: `steveslist worker <${ROLES.join('|')}>`,
  examples: ['KAFKA_BROKERS=kafka:9092 npx steveslist worker search'],
  longRunning: true,
  async run(context) {
    const [role, ...rest] = context.args;
    if (!role || rest.length > 0 || !ROLES.includes(role as WorkerRole)) throw new UsageError(`usage: ${workerCommand.usage}`);
    const { config, log } = context;
    // In a scale-out stack a role may start before its servers: it waits for them, for a while.
    const wait = { timeoutMs: config.startupWaitMs, log };
    const db = await waitForService(() => openDatabase(context), wait);
    const closers: (() => Promise<void>)[] = [db.close];
    // Backs off and logs once for the role's consumer group and sender; the heartbeat carries their health.
    const supervisor = new Supervisor(log, { deadLetterWindowMs: config.deadLetterHealthWindowMs });
    const shutdown = () => {
      supervisor.shutdown();
      return closeAll(closers, log);
    };
    try {
      const bus = await waitForService(() => openBus(config, log), wait);
      closers.push(() => bus.close());
      const ctx: RoleContext = { config, log, db, bus, closers, supervisor };
      await START[role as WorkerRole](ctx);
      const group = WORKER_GROUPS[role as WorkerRole];
      const heartbeat = await startHeartbeat(heartbeatPath(config.dataDir, role), async () => ({
        role, group, lag: (await bus.lag(group)).reduce((sum, partition) => sum + partition.lag, 0), roles: supervisor.list(),
      }), log);
      closers.push(() => heartbeat.stop());
      const stopped = runUntilSignal(log, shutdown, supervisor.fatal);
      log.info({ role, group: WORKER_GROUPS[role as WorkerRole], bus: bus.kind }, 'worker running; Ctrl-C stops it');
      return await stopped;
    } catch (error) {
      await shutdown();
      throw error;
    }
  },
};
