// Every topic change capture writes for one database: one per captured table and one per outbox
// aggregate. Consumers create them before they subscribe by pattern, so a topic's first event
// finds its consumers already reading it (on Kafka, a topic that appears later costs the group a
// rejoin before anything on it is consumed).
import { AGGREGATE_TYPES } from '../../marketplace/domain/outbox.js';
import type { Pool } from '../../marketplace/mysql/connection.js';
import type { Bus } from '../bus/port.js';
import { OUTBOX_TABLE } from './outbox-router.js';
import { listTables } from './snapshot.js';
import { eventsTopic, tableTopic, type TableFilter } from './topics.js';

export interface CapturedTopicsOptions {
  topicPrefix: string;
  database: string;
  /** The tables change capture reads (its CDC_INCLUDE_TABLES / CDC_EXCLUDE_TABLES). */
  filter: TableFilter;
}

export async function capturedTopics(pool: Pool, options: CapturedTopicsOptions): Promise<string[]> {
  const connection = await pool.getConnection();
  try {
    const tables = (await listTables(connection, options.database))
      // The outbox's rows leave as domain events, not as changes of its own table.
      .filter((table) => table !== OUTBOX_TABLE && options.filter.accepts(options.database, table));
    return [
      ...tables.map((table) => tableTopic(options.topicPrefix, options.database, table)),
      ...AGGREGATE_TYPES.map((aggregate) => eventsTopic(options.topicPrefix, aggregate)),
    ];
  } finally {
    connection.release();
  }
}

/** Creates every captured topic that does not exist yet (the bus batches them into one request on Kafka). */
export async function createCapturedTopics(bus: Bus, pool: Pool, options: CapturedTopicsOptions): Promise<string[]> {
  const topics = await capturedTopics(pool, options);
  await Promise.all(topics.map((topic) => bus.ensureTopic(topic)));
  return topics;
}
