import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../../core/errors.js';
import { createWarehouseClient } from '../../warehouse/client.js';
import { servedAnalystQuery } from '../../warehouse/http/served-analyst-query.js';
import { analystQuery, openWarehouseOwner, readServedWarehouse, type AnalystFormat } from '../../warehouse/index.js';
import type { Config } from '../../core/config/index.js';
import { parseOptions, wholeNumber } from '../args.js';
import type { Command } from '../command.js';
import { sqlPrompt } from './sql-prompt.js';

const FORMATS: AnalystFormat[] = ['table', 'csv', 'json', 'arrow'];
const DEFAULTS = { format: 'table' as AnalystFormat, maxRows: 100_000, timeoutSeconds: 30 };

export const sqlCommand: Command = {
  summary: 'analyst SQL on the warehouse (read-only): one query, or an interactive prompt',
  usage: 'steveslist sql ["SELECT ..."] [--format table|csv|json|arrow] [--max-rows N] [--timeout SECONDS]',
  options: [
    { flag: `--format ${FORMATS.join('|')}`, help: 'how results are printed (arrow: Arrow IPC bytes, for a pipe)', default: DEFAULTS.format },
    { flag: '--max-rows N', help: 'most rows a query may return', default: DEFAULTS.maxRows },
    { flag: '--timeout SECONDS', help: 'longest a query may run', default: DEFAULTS.timeoutSeconds },
  ],
  examples: ['npx steveslist sql "SELECT city, count() FROM raw.listings FINAL GROUP BY city" --format csv', 'npx steveslist sql   # a prompt with history; .help lists what it understands'],
  async run(context) {
    const { values, positionals } = parseOptions(context.args, { format: { type: 'string' }, 'max-rows': { type: 'string' }, timeout: { type: 'string' } });
    const format = (values.format ?? DEFAULTS.format) as AnalystFormat;
    if (!FORMATS.includes(format)) throw new UsageError(`--format: expected one of ${FORMATS.join(', ')}, got "${values.format}"`);
    const options = { format, maxRows: wholeNumber('--max-rows', values['max-rows'], DEFAULTS.maxRows, 1), timeoutSeconds: wholeNumber('--timeout', values.timeout, DEFAULTS.timeoutSeconds, 1) };
    const { client, query } = connect(context.config);
    const analystQuery = (sql: string, opts: typeof options) => query(client, sql, opts);
    try {
      const sql = positionals.join(' ').trim();
      if (sql) {
        process.stdout.write(await analystQuery(sql, options));
        return 0;
      }
      if (!process.stdin.isTTY) {
        const piped = readFileSync(0, 'utf8').trim();
        if (!piped) throw new UsageError(`usage: ${sqlCommand.usage}`);
        process.stdout.write(await analystQuery(piped, options));
        return 0;
      }
      await sqlPrompt({
        input: process.stdin, output: process.stdout, terminal: true, historyPath: join(context.config.dataDir, 'sql_history'),
        run: (statement) => analystQuery(statement, { ...options, format: options.format === 'arrow' ? 'table' : options.format }),
      });
      return 0;
    } finally {
      await client.close();
    }
  },
};

/**
 * While the platform runs it owns the chDB folder and serves it: the query goes there, as the
 * local analyst user, and the serving process confines it. Otherwise this process opens the folder
 * (or the configured ClickHouse server) and confines the query itself.
 */
function connect(config: Config) {
  const served = config.warehouse.url ? undefined : readServedWarehouse(config.warehouse.dir);
  if (served) {
    return { client: createWarehouseClient({ url: served.url, path: config.warehouse.dir, username: served.analyst.user, password: served.analyst.password }), query: servedAnalystQuery };
  }
  return { client: openWarehouseOwner(config), query: analystQuery };
}
