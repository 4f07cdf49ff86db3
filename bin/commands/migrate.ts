import { locateListings } from '../../marketplace/domain/listing-coordinates.js';
import { openMysqlSource } from '../../marketplace/mysql/index.js';
import { createMysqlPool } from '../../marketplace/mysql/connection.js';
import { worldCities } from '../../marketplace/places/geonames-gazetteer.js';
import { migrate } from '../../marketplace/schema/migrate.js';
import type { Command } from '../command.js';

export const migrateCommand: Command = {
  summary: 'apply pending schema migrations (creates the database if needed), then give coordinates to listings without them',
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
      // Every run, not only the one that added the columns: a newer gazetteer may know more cities.
      const pool = await createMysqlPool(source.url, { connectionLimit: 1 });
      try {
        const located = await locateListings(pool, worldCities());
        process.stdout.write(`listings given coordinates: ${located.located}; in cities the gazetteer does not know: ${located.unknown}\n`);
      } finally {
        await pool.end();
      }
    } finally {
      await source.close();
    }
  },
};
