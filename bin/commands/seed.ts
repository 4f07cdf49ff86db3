import { seed } from '../../marketplace/sample-data/seed.js';
import { parseOptions, wholeNumber } from '../args.js';
import type { Command } from '../cli.js';
import { openDatabase } from './open-database.js';

export const seedCommand: Command = {
  summary: 'add sample users and listings (deterministic for a --seed)',
  usage: 'steveslist seed [--users N] [--listings N] [--seed N] [--batch N]',
  async run(context) {
    const { values } = parseOptions(context.args, {
      users: { type: 'string' }, listings: { type: 'string' }, seed: { type: 'string' }, batch: { type: 'string' },
    });
    const options = {
      users: wholeNumber('--users', values.users, 100),
      listings: wholeNumber('--listings', values.listings, 1000),
      seed: wholeNumber('--seed', values.seed, 1),
      batchSize: wholeNumber('--batch', values.batch, 1000, 1),
    };
    const db = await openDatabase(context);
    try {
      const result = await seed(db.pool, options);
      process.stdout.write(`seeded ${result.users} users and ${result.listings} listings in ${(result.elapsedMs / 1000).toFixed(1)}s\n`);
    } finally {
      await db.close();
    }
  },
};
