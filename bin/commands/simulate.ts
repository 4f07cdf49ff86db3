import { simulate } from '../../marketplace/sample-data/simulate.js';
import { duration, parseOptions, rate, wholeNumber } from '../args.js';
import type { Command } from '../cli.js';
import { openDatabase } from './open-database.js';

export const simulateCommand: Command = {
  summary: 'generate marketplace traffic: signups, listings, edits, purchases, messages, removals',
  usage: 'steveslist simulate [--rate 200/s] [--duration 60s] [--concurrency 8] [--seed N]',
  async run(context) {
    const { values } = parseOptions(context.args, {
      rate: { type: 'string' }, duration: { type: 'string' }, concurrency: { type: 'string' }, seed: { type: 'string' },
    });
    const options = {
      ratePerSecond: rate('--rate', values.rate, 200),
      durationMs: duration('--duration', values.duration, 60_000),
      concurrency: wholeNumber('--concurrency', values.concurrency, 8, 1),
      seed: wholeNumber('--seed', values.seed, 1),
    };
    const db = await openDatabase(context, { connectionLimit: options.concurrency + 2 });
    const stop = new AbortController();
    context.onInterrupt(async () => stop.abort());
    try {
      const result = await simulate(db.pool, { ...options, signal: stop.signal });
      const counts = Object.entries(result.operations).map(([op, n]) => `${op} ${n}`).join(', ');
      process.stdout.write(`simulated ${counts}; ${result.conflicts} conflicts, ${result.unavailable} refused for want of the database, ${result.errors} errors; ${result.ratePerSecond} ops/s over ${(result.elapsedMs / 1000).toFixed(1)}s\n`);
      for (const line of result.firstErrors) process.stderr.write(`  error: ${line}\n`);
      // A database that comes back is traffic as usual; one that never answered is a failed run.
      const succeeded = Object.values(result.operations).reduce((sum, n) => sum + n, 0);
      return result.errors > 0 || succeeded === 0 ? 1 : 0;
    } finally {
      await db.close();
    }
  },
};
