import { locateListings } from '../../marketplace/domain/listing-coordinates.js';
import { openMysqlSource, type MysqlSource } from '../../marketplace/mysql/index.js';
import { createMysqlPool, type Pool } from '../../marketplace/mysql/connection.js';
import { worldCities } from '../../marketplace/places/geonames-gazetteer.js';
import { migrate } from '../../marketplace/schema/migrate.js';
import type { CommandContext } from '../command.js';

export interface OpenDatabase {
  source: MysqlSource;
  pool: Pool;
  close(): Promise<void>;
}

/**
 * The source of truth, migrated and ready: starts (or reuses) the private MariaDB when no
 * MYSQL_URL is set. close() ends the pool and stops the server this process started.
 */
export async function openDatabase(context: CommandContext, options: { connectionLimit?: number } = {}): Promise<OpenDatabase> {
  const source = await openMysqlSource(context.config, context.log);
  let pool: Pool | undefined;
  const close = async () => {
    await pool?.end().catch(() => undefined);
    await source.close();
  };
  context.onInterrupt(close);
  try {
    const migrated = await migrate(source.url, { log: context.log });
    pool = await createMysqlPool(source.url, { connectionLimit: options.connectionLimit });
    // The listings that were there before they had coordinates get them once, when 027 arrives.
    if (migrated.applied.some((migration) => migration.version === 27)) {
      const located = await locateListings(pool, worldCities());
      context.log.info(located, 'listings given coordinates from the gazetteer');
    }
    return { source, pool, close };
  } catch (error) {
    await close();
    throw error;
  }
}
