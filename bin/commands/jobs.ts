import { UsageError } from '../../core/errors.js';
import { lastRuns, runHistory, Scheduler } from '../../pipelines/scheduler/index.js';
import { jobsFor } from './platform-jobs.js';
import { parseOptions, wholeNumber } from '../args.js';
import type { Command } from '../command.js';
import { openDatabase } from './open-database.js';

const print = (line: string) => process.stdout.write(`${line}\n`);
const DEFAULT_LIMIT = 20;

export const jobsCommand: Command = {
  summary: 'the scheduled jobs: list them, show the run ledger, or run one now',
  usage: 'steveslist jobs list | steveslist jobs history [<job>] [--limit N] | steveslist jobs run <job>',
  options: [{ flag: '--limit N', help: 'history: the N newest runs', default: DEFAULT_LIMIT }],
  examples: ['npx steveslist jobs list', 'npx steveslist jobs run reports.refresh-dashboards'],
  async run(context) {
    const { values, positionals } = parseOptions(context.args, { limit: { type: 'string' } });
    const [action, name, ...rest] = positionals;
    if (!['list', 'history', 'run'].includes(action ?? '') || rest.length > 0 || (action === 'run' && !name) || (action === 'list' && name)) {
      throw new UsageError(`usage: ${jobsCommand.usage}`);
    }
    const limit = wholeNumber('--limit', values.limit, DEFAULT_LIMIT, 1);
    const db = await openDatabase(context);
    try {
      const scheduler = new Scheduler({ pool: db.pool, jobs: jobsFor(context.config, db), log: context.log });
      if (name && !scheduler.job(name)) {
        throw new UsageError(`no job named "${name}"; the jobs are: ${scheduler.jobs.map((job) => job.name).join(', ')}`);
      }
      if (action === 'list') {
        const last = await lastRuns(db.pool);
        for (const job of scheduler.jobs) {
          const run = last.get(job.name);
          print(`${job.name}\n  ${job.description}\n  schedule ${job.cron} (${job.timezone}), limit ${job.timeLimitMs / 1000} s, missed: ${job.missed}`
            + `\n  next ${scheduler.nextRun(job)?.toISOString() ?? 'never'}; last ${run ? `${run.status} for ${run.scheduled_for}${run.error ? `: ${run.error}` : ''}` : 'never ran'}`);
        }
        return 0;
      }
      if (action === 'history') {
        const runs = await runHistory(db.pool, { job: name }, limit);
        for (const run of runs) {
          print(`${run.scheduled_for}  ${run.job.padEnd(28)} ${run.status.padEnd(9)} ${run.trigger_kind.padEnd(8)} ${run.host}  ${run.error ?? run.summary ?? ''}`.trimEnd());
        }
        print(`${runs.length} run(s)`);
        return 0;
      }
      // Ctrl-C ends the run in the ledger as failed before the process goes, rather than leaving
      // it "running" until a scheduler finds it abandoned.
      context.onInterrupt(() => scheduler.stop(0, 'interrupted (Ctrl-C or SIGTERM)'));
      print(`running ${name} now...`);
      const outcome = await scheduler.runNow(name!);
      print(`${name}: ${outcome.status}${outcome.error ? `: ${outcome.error}` : outcome.summary ? `: ${outcome.summary}` : ''}`);
      return outcome.status === 'succeeded' ? 0 : 1;
    } finally {
      await db.close();
    }
  },
};
