import { openBus } from '../../pipelines/bus/index.js';
import { Scheduler } from '../../pipelines/scheduler/index.js';
import { jobsFor } from './platform-jobs.js';
import type { Command } from '../command.js';
import { Supervisor } from '../roles/supervisor.js';
import { runUntilSignal } from '../shutdown.js';
import { openDatabase } from './open-database.js';

export const schedulerCommand: Command = {
  summary: 'run the scheduled jobs alone (any number of schedulers may share a database)',
  usage: 'steveslist scheduler',
  examples: ['npx steveslist scheduler'],
  longRunning: true,
  async run(context) {
    const db = await openDatabase(context);
    // Kafka takes any number of readers: the dead-letter alert counts its dead-letter topics. The
    // embedded bus belongs to the process that runs the platform, so that count is left out here.
    const bus = context.config.bus.kafka ? await openBus(context.config, context.log).catch((error: unknown) => {
      context.log.warn({ error: (error as Error).message }, 'the bus did not answer: the dead-letter alert counts dead emails and webhook deliveries only');
      return undefined;
    }) : undefined;
    // A failing pass is logged once and retried with backoff; a configuration error stops the command.
    const supervisor = new Supervisor(context.log, { deadLetterWindowMs: context.config.deadLetterHealthWindowMs });
    const scheduler = new Scheduler({ pool: db.pool, jobs: jobsFor(context.config, db, undefined, bus), log: context.log, health: supervisor.reporter('scheduler') });
    scheduler.start();
    // Listening for signals before saying so: whoever waits for the line may signal at once.
    const stopped = runUntilSignal(context.log, async () => {
      supervisor.shutdown();
      await scheduler.stop();
      await bus?.close();
      await db.close();
    }, supervisor.fatal);
    context.log.info({ jobs: scheduler.jobs.map((job) => job.name) }, 'scheduler running; Ctrl-C stops it');
    return stopped;
  },
};
