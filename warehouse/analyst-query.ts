// Analyst SQL against the warehouse: confined by the guard to the warehouse's own databases
// (analyst-guard.ts), read-only (ClickHouse's readonly=2), with a time limit and a row limit, in
// the format the analyst's tool wants. ClickHouse's own error message reaches the analyst.
import { readAll, type ClickHouseClient } from './client.js';
import { AnalystQueryError, inAnalystTerms } from './analyst-errors.js';
import { analystQuerySettings, askClickHouse, confineAnalystQuery } from './analyst-guard.js';

export { AnalystQueryError, AnalystQueryRefused } from './analyst-errors.js';

export type AnalystFormat = 'table' | 'csv' | 'json' | 'arrow';

export interface AnalystQueryOptions {
  format: AnalystFormat;
  maxRows?: number;
  timeoutSeconds?: number;
}

const FORMATS: Record<AnalystFormat, string> = {
  table: 'JSONCompactEachRowWithNames',
  csv: 'CSVWithNames',
  json: 'JSONEachRow',
  arrow: 'ArrowStream',
};

function describe(error: unknown, sent: Parameters<typeof inAnalystTerms>[1]): AnalystQueryError {
  if (error instanceof AnalystQueryError) return error;
  const message = inAnalystTerms((error as Error).message, sent);
  if (/readonly mode/i.test(message)) {
    return new AnalystQueryError(`the warehouse is read-only for analyst SQL (no INSERT, ALTER, CREATE, DROP...): ${message}`, { cause: error });
  }
  return new AnalystQueryError(message, { cause: error });
}

/** Runs one statement and returns its output (Arrow IPC bytes for `arrow`, text otherwise). */
export async function analystQuery(client: ClickHouseClient, sql: string, options: AnalystQueryOptions): Promise<Buffer> {
  const ask = askClickHouse(client);
  const statement = await confineAnalystQuery(ask, sql, { formatClause: false });
  // The limits are part of the statement (a trailing SETTINGS clause): they hold for this query
  // only and nothing stays on a shared chDB session.
  const settings = analystQuerySettings({
    maxRows: options.maxRows ?? 100_000,
    timeoutSeconds: options.timeoutSeconds ?? 30,
    // Uncompressed Arrow: every Arrow reader can open it (not all bundle LZ4).
    extra: { output_format_arrow_compression_method: 'none', output_format_json_quote_64bit_integers: 1 },
  });
  const appended = `\nFORMAT ${FORMATS[options.format]}\n${settings}`;
  try {
    const { stream } = await client.exec({ query: `${statement}${appended}` });
    const output = await readAll(stream);
    return options.format === 'table' ? Buffer.from(alignedTable(output.toString('utf8'))) : output;
  } catch (error) {
    // chDB can keep the partial output of a query that failed while writing it (a row limit hit)
    // and hand it to the next query: a throwaway query takes it.
    await client.query({ query: 'SELECT 1', format: 'CSV' }).then((r) => r.text()).catch(() => undefined);
    throw describe(error, { text: `${statement}${appended}`, analyst: sql, appended });
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
