import { simulate } from '../../marketplace/sample-data/simulate.js';
import { duration, parseOptions, rate, wholeNumber } from '../args.js';
import type { Command } from '../command.js';
import { openDatabase } from './open-database.js';

const DEFAULTS = { rate: '200/s', duration: '60s', concurrency: 8, seed: 1 };

export const simulateCommand: Command = {
  summary: 'generate marketplace traffic: signups, listings, edits, purchases, messages, removals',
  usage: 'steveslist simulate [--rate 200/s] [--duration 60s] [--concurrency 8] [--seed N] [--existing-users]',
  options: [
    { flag: '--rate N/s', help: 'operations per second (or per minute: 600/m)', default: DEFAULTS.rate },
    { flag: '--duration TIME', help: 'how long to run: 90s, 5m, 1h', default: DEFAULTS.duration },
    { flag: '--concurrency N', help: 'connections writing at once', default: DEFAULTS.concurrency },
    { flag: '--seed N', help: 'the same seed picks the same operations', default: DEFAULTS.seed },
    { flag: '--existing-users', help: "act through every account in the database, real users' included (default: only the accounts this run signs up)" },
  ],
  examples: ['npx steveslist simulate --rate 50/s --duration 5m', 'npx steveslist seed && npx steveslist simulate --existing-users'],
  async run(context) {
    const { values } = parseOptions(context.args, {
      rate: { type: 'string' }, duration: { type: 'string' }, concurrency: { type: 'string' }, seed: { type: 'string' }, 'existing-users': { type: 'boolean' },
    });
    const options = {
      ratePerSecond: rate('--rate', values.rate ?? DEFAULTS.rate, 0),
      durationMs: duration('--duration', values.duration ?? DEFAULTS.duration, 0),
      concurrency: wholeNumber('--concurrency', values.concurrency, DEFAULTS.concurrency, 1),
      seed: wholeNumber('--seed', values.seed, DEFAULTS.seed),
      existingUsers: values['existing-users'] ?? false,
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
