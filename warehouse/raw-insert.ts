// The loader's writes to the raw layer, with ClickHouse's refusals sorted into what is worth
// retrying (the warehouse is down or busy) and what is not (the rows themselves).
import { Readable } from 'node:stream';
import { PoisonMessage, SinkUnavailable } from '../core/errors.js';
import type { Row } from '../pipelines/cdc/envelope.js';
import type { ClickHouseClient } from './client.js';
import { ident, RAW_DATABASE } from './raw-schema.js';

/** A failure of the warehouse itself (worth retrying), not of what was sent to it. */
function unavailable(error: unknown): SinkUnavailable | undefined {
  const message = (error as Error).message;
  return /ECONNREFUSED|ECONNRESET|timeout|TOO_MANY|MEMORY_LIMIT/i.test(message) ? new SinkUnavailable(`warehouse: ${message}`, { cause: error }) : undefined;
}

function refused(table: string, error: unknown): Error {
  return unavailable(error) ?? new PoisonMessage(`warehouse rejected rows for ${table}: ${(error as Error).message.slice(0, 500)}`, { cause: error });
}

/** Plain names go bare, so chDB takes the insert's body as bytes (chdb/scoped-settings-connection.ts); others quoted as the table's DDL quoted them. */
const name = (value: string) => (/^[A-Za-z0-9_]+$/.test(value) ? value : ident(value));

/** Rows as objects (JSONEachRow): the domain events and the truncation marks, a few at a time. */
export async function insertRows(client: ClickHouseClient, table: string, values: readonly Row[]): Promise<void> {
  try {
    await client.insert({
      table: `${RAW_DATABASE}.${name(table)}`, values, format: 'JSONEachRow',
      clickhouse_settings: { date_time_input_format: 'best_effort', input_format_skip_unknown_fields: 1 },
    });
  } catch (error) {
    throw refused(table, error);
  }
}

/** Lines of TabSeparated rows (raw-tsv.ts) for the columns named, in their order. */
export async function insertTsv(client: ClickHouseClient, table: string, columns: readonly string[], body: Buffer): Promise<void> {
  try {
    const result = await client.exec({
      query: `INSERT INTO ${RAW_DATABASE}.${name(table)} (${columns.map(name).join(', ')}) FORMAT TabSeparated`,
      values: Readable.from([body]),
      // A time the encoder did not recognise as the events' own (raw-tsv.ts) is still read, as the JSON rows' insert read it.
      clickhouse_settings: { date_time_input_format: 'best_effort' },
    });
    // Read to the end, so an HTTP connection goes back to the pool.
    for await (const _ of result.stream) { /* nothing comes back from an insert */ }
  } catch (error) {
    throw refused(table, error);
  }
}
