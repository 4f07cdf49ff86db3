// Analyst SQL sent to the warehouse the platform serves: the serving process confines it and
// applies the analyst user's limits, so the statement goes as written, with the limits asked for
// as that request's settings.
import { AnalystQueryError, alignedTable, type AnalystQueryOptions } from '../analyst-query.js';
import { readAll, type ClickHouseClient } from '../client.js';

const WIRE_FORMATS = { table: 'JSONCompactEachRowWithNames', csv: 'CSVWithNames', json: 'JSONEachRow', arrow: 'ArrowStream' } as const;

export async function servedAnalystQuery(client: ClickHouseClient, sql: string, options: AnalystQueryOptions): Promise<Buffer> {
  const statement = sql.trim().replace(/;\s*$/, '');
  if (!statement) throw new AnalystQueryError('the query is empty');
  try {
    const { stream } = await client.exec({
      query: statement,
      clickhouse_settings: {
        default_format: WIRE_FORMATS[options.format] as never,
        max_result_rows: String(options.maxRows ?? 100_000),
        max_execution_time: options.timeoutSeconds ?? 30,
        result_overflow_mode: 'throw',
        output_format_arrow_compression_method: 'none',
        output_format_json_quote_64bit_integers: 1,
      },
    });
    const output = await readAll(stream);
    return options.format === 'table' ? Buffer.from(alignedTable(output.toString('utf8'))) : output;
  } catch (error) {
    throw new AnalystQueryError((error as Error).message.replace(/\s+$/, ''), { cause: error });
  }
}
