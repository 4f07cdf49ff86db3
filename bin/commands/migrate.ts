import { openMysqlSource } from '../../marketplace/mysql/index.js';
import { migrate } from '../../marketplace/schema/migrate.js';
import type { Command } from '../command.js';

export const migrateCommand: Command = {
  summary: 'apply pending schema migrations (creates the database if needed)',
  usage: 'steveslist migrate',
  examples: ['MYSQL_URL=\'mysql://app:...@db:3306/steveslist\' npx steveslist migrate'],
  async run(context) {
    const source = await openMysqlSource(context.config, context.log);
    context.onInterrupt(() => source.close());
    try {
      const result = await migrate(source.url, { log: context.log });
      process.stdout.write(result.applied.length === 0
        ? `schema is up to date (${result.alreadyApplied} migrations applied earlier)\n`
        : `applied ${result.applied.length} migration(s): ${result.applied.map((m) => m.file).join(', ')}\n`);
    } finally {
      await source.close();
    }
  },
};
