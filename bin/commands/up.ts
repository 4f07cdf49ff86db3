import { openBus } from '../../pipelines/bus/index.js';
import { startCdc } from '../../pipelines/cdc/index.js';
import { Scheduler } from '../../pipelines/scheduler/index.js';
import { readMartFreshness, readServedWarehouse } from '../../warehouse/index.js';
import type { Command } from '../command.js';
import { closeAll, type RoleContext } from '../roles/role-context.js';
import { startAdminServer, startPublicServer, warmAfterStart } from '../roles/servers.js';
import { Supervisor } from '../roles/supervisor.js';
import { startEmailWorker, startListingChecksWorker, startSearchAlertsWorker, startSearchWorker, startSmsWorker, startSpamChecksWorker, startWarehouseWorker, startWebhooksWorker, WORKER_GROUPS } from '../roles/workers.js';
import { runUntilSignal } from '../shutdown.js';
import { openDatabase } from './open-database.js';
import { jobsFor } from './platform-jobs.js';

/**
 * Waits for every start, failed or not, before reporting the first failure: one still starting
 * when the platform shuts down would register its closer after the closing ran, and stay open.
 */
async function allStarted<T extends readonly unknown[]>(starts: T): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  const settled = await Promise.allSettled(starts);
  const failed = settled.find((result) => result.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;
  return settled.map((result) => (result as PromiseFulfilledResult<unknown>).value) as { -readonly [K in keyof T]: Awaited<T[K]> };
}

const sinceStart = () => Math.round(performance.now());

const NEXT_STEPS = [
  'npx steveslist seed: sample users and listings to search and buy',
  'echo "$PASSWORD" | npx steveslist admin add-user <name>: a staff login for the admin service (POST /admin/session)',
  'npx steveslist analyst add <name>: a warehouse login for ClickHouse clients (npx steveslist sql needs none)',
];

/**
 * Everything on one machine in one process: the private MariaDB (or MYSQL_URL), migrations,
 * change capture into the bus, every consumer, the scheduler, and the public and admin servers.
 * A role that fails is restarted under the supervisor; only an error no restart can fix ends it.
 */
export const upCommand: Command = {
  summary: 'run the whole platform in this process (private MariaDB unless MYSQL_URL is set)',
  usage: 'steveslist up',
  examples: ['npx steveslist up', 'PORT=8080 LOG_LEVEL=debug npx steveslist up'],
  longRunning: true,
  async run(context) {
    const { config, log } = context;
    // Milliseconds since the process started, per step, in the line saying it is up: where a restart's time goes.
    const startup: Record<string, number | string> = { from: process.env.STEVESLIST_RUNS_FROM ?? 'sources', loadedMs: sinceStart() };
    const db = await openDatabase(context);
    startup.databaseMs = sinceStart();
    const closers: (() => Promise<void>)[] = [db.close];
    const supervisor = new Supervisor(log, { deadLetterWindowMs: config.deadLetterHealthWindowMs });
    const shutdown = () => {
      supervisor.shutdown();
      return closeAll(closers, log);
    };
    try {
      const bus = await openBus(config, log);
      closers.push(() => bus.close());
      startup.busMs = sinceStart();
      const ctx: RoleContext = { config, log, db, bus, closers, supervisor };
      // Started first and so stopped after the sinks: what they write while stopping (email
      // statuses, delivery rows) is still captured.
      const cdc = supervisor.supervise('cdc', () => startCdc(config, bus, db.source.url, log), {
        healthy: (reader) => ['snapshot', 'streaming'].includes(reader.stats().phase),
      });
      closers.push(() => cdc.stop());
      // How long a start takes to stream again: in the "is up" line when it came first, else said then.
      let said = false;
      void cdc.current().streaming.then(() => {
        startup.streamingMs = sinceStart();
        if (said) log.info({ startup: { streamingMs: startup.streamingMs } }, 'change capture streaming');
      });
      // Change capture gets the start's first moments: its few round trips to the source otherwise
      // waited behind every role's start (the search index, the servers' routes, chDB), and it
      // streamed again only after the process said it was up. A second at most: a source slow to
      // answer does not keep the site from serving.
      await Promise.race([cdc.current().reading, new Promise((resolve) => setTimeout(resolve, 1_000).unref())]);
      // What a restart is waited on for next: the search pipeline and the public server. The
      // other roles then start together, each waiting on its own files and servers, not in turn.
      const search = await startSearchWorker(ctx);
      startup.searchMs = sinceStart();
      const address = await startPublicServer(ctx, search);
      startup.servingMs = sinceStart();
      const [warehouse, , mailboxDir] = await allStarted([
        startWarehouseWorker(ctx), startWebhooksWorker(ctx), startEmailWorker(ctx), startSearchAlertsWorker(ctx), startSmsWorker(ctx), startSpamChecksWorker(ctx),
      ] as const);
      await startListingChecksWorker(ctx, warehouse);
      startup.rolesMs = sinceStart();
      const scheduler = new Scheduler({ pool: db.pool, jobs: jobsFor(config, db, warehouse, bus), log, health: supervisor.reporter('scheduler') });
      scheduler.start();
      closers.push(() => scheduler.stop());
      const adminAddress = await startAdminServer(ctx, {
        warehouse, scheduler, mailboxDir,
        pipeline: { bus, cdc: { stats: () => cdc.current().stats() }, topicPrefix: config.topicPrefix, groups: Object.values(WORKER_GROUPS), roles: () => supervisor.list(), marts: () => readMartFreshness(warehouse) },
      });
      startup.upMs = sinceStart();
      // Listening for signals before saying so: whoever waits for the line may signal at once.
      const stopped = runUntilSignal(log, shutdown, supervisor.fatal);
      // What a newcomer opens first and does next; the served warehouse's URL, never a CLICKHOUSE_URL (it may hold a password).
      const served = config.warehouse.url ? undefined : readServedWarehouse(config.warehouse.dir);
      said = true;
      log.info({
        web: `${address}/`, health: `${address}/health`, admin: adminAddress, dashboards: `${adminAddress}/reports/`,
        ...(served && { warehouse: served.url }), ...(mailboxDir && { mailbox: mailboxDir }), bus: bus.kind, search: search.kind, startup, next: NEXT_STEPS,
      }, 'steveslist is up; Ctrl-C stops it');
      warmAfterStart(log);
      return await stopped;
    } catch (error) {
      await shutdown();
      throw error;
    }
  },
};
