import { Scheduler } from '../../pipelines/scheduler/index.js';
import { jobsFor } from './platform-jobs.js';
import type { Command } from '../cli.js';
import { runUntilSignal } from '../shutdown.js';
import { openDatabase } from './open-database.js';

export const schedulerCommand: Command = {
  summary: 'run the scheduled jobs alone (any number of schedulers may share a database)',
  usage: 'steveslist scheduler',
  longRunning: true,
  async run(context) {
    const db = await openDatabase(context);
    const scheduler = new Scheduler({ pool: db.pool, jobs: jobsFor(context.config, db), log: context.log });
    scheduler.start();
    // Listening for signals before saying so: whoever waits for the line may signal at once.
    const stopped = runUntilSignal(context.log, async () => {
      await scheduler.stop();
      await db.close();
    });
    context.log.info({ jobs: scheduler.jobs.map((job) => job.name) }, 'scheduler running; Ctrl-C stops it');
    return stopped;
  },
};
