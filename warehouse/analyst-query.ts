// Analyst SQL against the warehouse: read-only (ClickHouse's readonly=2: no writes, no DDL), with
// a time limit and a row limit, in the format the analyst's tool wants. ClickHouse's own error
// message reaches the analyst.
import { PlatformError } from '../core/errors.js';
import type { ClickHouseClient } from './client.js';

export type AnalystFormat = 'table' | 'csv' | 'json' | 'arrow';

export interface AnalystQueryOptions {
  format: AnalystFormat;
  maxRows?: number;
  timeoutSeconds?: number;
}

/** The query was refused or failed in ClickHouse; the message is ClickHouse's. */
export class AnalystQueryError extends PlatformError {
  readonly code = 'QUERY_FAILED';
  readonly retriable = false;
}

const FORMATS: Record<AnalystFormat, string> = {
  table: 'JSONCompactEachRowWithNames',
  csv: 'CSVWithNames',
  json: 'JSONEachRow',
  arrow: 'ArrowStream',
};

function describe(error: unknown): AnalystQueryError {
  const message = (error as Error).message.replace(/\s+$/, '');
  if (/readonly mode/i.test(message)) {
    return new AnalystQueryError(`the warehouse is read-only for analyst SQL (no INSERT, ALTER, CREATE, DROP...): ${message}`, { cause: error });
  }
  return new AnalystQueryError(message, { cause: error });
}

/** Runs one statement and returns its output (Arrow IPC bytes for `arrow`, text otherwise). */
export async function analystQuery(client: ClickHouseClient, sql: string, options: AnalystQueryOptions): Promise<Buffer> {
  const statement = sql.trim().replace(/;\s*$/, '');
  if (!statement) throw new AnalystQueryError('the query is empty');
  const settings = {
    readonly: '2',
    max_execution_time: options.timeoutSeconds ?? 30,
    max_result_rows: String(options.maxRows ?? 100_000),
    result_overflow_mode: 'throw',
    // Uncompressed Arrow: every Arrow reader can open it (not all bundle LZ4).
    output_format_arrow_compression_method: 'none',
    output_format_json_quote_64bit_integers: 1,
  };
  try {
    if (options.format === 'arrow') {
      // Binary output: the raw response stream, not text.
      const { stream } = await client.exec({ query: `${statement}\nFORMAT ${FORMATS.arrow}`, clickhouse_settings: settings as never });
      const chunks: Buffer[] = [];
      for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
      return Buffer.concat(chunks);
    }
    const result = await client.query({ query: statement, format: FORMATS[options.format] as never, clickhouse_settings: settings as never });
    const text = await result.text();
    return Buffer.from(options.format === 'table' ? alignedTable(text) : text);
  } catch (error) {
    // chDB can keep the partial output of a query that failed while writing it (a row limit hit)
    // and hand it to the next query: a throwaway query takes it.
    await client.query({ query: 'SELECT 1', format: 'CSV' }).then((r) => r.text()).catch(() => undefined);
    throw describe(error);
  }
}

/** JSONCompactEachRowWithNames -> a plain aligned text table, as a terminal shows it. */
export function alignedTable(compact: string): string {
  const lines = compact.split('\n').filter(Boolean).map((line) => JSON.parse(line) as unknown[]);
  if (lines.length === 0) return '(no rows)\n';
  const cells = lines.map((row) => row.map((value) => (value === null ? 'NULL' : typeof value === 'object' ? JSON.stringify(value) : String(value))));
  const widths = cells[0]!.map((_, i) => Math.max(...cells.map((row) => row[i]!.length)));
  const render = (row: string[]) => row.map((cell, i) => cell.padEnd(widths[i]!)).join(' | ').trimEnd();
  const [header, ...rows] = cells;
  return `${[render(header!), widths.map((w) => '-'.repeat(w)).join('-+-'), ...rows.map(render)].join('\n')}\n(${rows.length} row${rows.length === 1 ? '' : 's'})\n`;
}
