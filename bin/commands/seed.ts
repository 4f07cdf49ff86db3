import { seed } from '../../marketplace/sample-data/seed.js';
import { parseOptions, wholeNumber } from '../args.js';
import type { Command } from '../command.js';
import { openDatabase } from './open-database.js';

const DEFAULTS = { users: 100, listings: 1000, seed: 1, batch: 1000 };

export const seedCommand: Command = {
  summary: 'add sample users and listings (deterministic for a --seed)',
  usage: 'steveslist seed [--users N] [--listings N] [--seed N] [--batch N]',
  options: [
    { flag: '--users N', help: 'sample users to add', default: DEFAULTS.users },
    { flag: '--listings N', help: 'sample listings to add, spread over those users', default: DEFAULTS.listings },
    { flag: '--seed N', help: 'the same seed adds the same data', default: DEFAULTS.seed },
    { flag: '--batch N', help: 'rows per INSERT', default: DEFAULTS.batch },
  ],
  examples: ['npx steveslist seed --users 1000 --listings 20000'],
  async run(context) {
    const { values } = parseOptions(context.args, {
      users: { type: 'string' }, listings: { type: 'string' }, seed: { type: 'string' }, batch: { type: 'string' },
    });
    const options = {
      users: wholeNumber('--users', values.users, DEFAULTS.users),
      listings: wholeNumber('--listings', values.listings, DEFAULTS.listings),
      seed: wholeNumber('--seed', values.seed, DEFAULTS.seed),
      batchSize: wholeNumber('--batch', values.batch, DEFAULTS.batch, 1),
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
