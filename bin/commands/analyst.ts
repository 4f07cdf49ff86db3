import { UsageError } from '../../core/errors.js';
import { readServedWarehouse } from '../../warehouse/index.js';
import { warehouseUsersOf } from '../../warehouse/http/serve.js';
import { DEFAULT_ANALYST_LIMITS } from '../../warehouse/http/warehouse-users.js';
import { parseOptions, wholeNumber } from '../args.js';
import type { Command } from '../command.js';

export const analystCommand: Command = {
  summary: 'manage analysts of the served warehouse (read-only ClickHouse users with limits)',
  usage: 'steveslist analyst add <name> [--max-rows N] [--timeout SECONDS] [--concurrency N] | analyst list | analyst remove <name>',
  options: [
    { flag: '--max-rows N', help: 'add: most rows a query may return', default: DEFAULT_ANALYST_LIMITS.maxResultRows },
    { flag: '--timeout SECONDS', help: 'add: longest a query may run', default: DEFAULT_ANALYST_LIMITS.maxExecutionSeconds },
    { flag: '--concurrency N', help: 'add: queries at once', default: DEFAULT_ANALYST_LIMITS.maxConcurrentQueries },
  ],
  examples: ['npx steveslist analyst add dana --max-rows 100000 --timeout 30', 'npx steveslist analyst list'],
  async run(context) {
    const { values, positionals } = parseOptions(context.args, { 'max-rows': { type: 'string' }, timeout: { type: 'string' }, concurrency: { type: 'string' } });
    const [action, name] = positionals;
    const users = warehouseUsersOf(context.config);
    if (action === 'list' && !name) {
      const list = users.list();
      for (const u of list) process.stdout.write(`${u.name}  max rows ${u.limits.maxResultRows}, ${u.limits.maxExecutionSeconds} s, ${u.limits.maxConcurrentQueries} at once\n`);
      process.stdout.write(`${list.length} analyst(s)\n`);
      return 0;
    }
    if (action === 'remove' && name) {
      if (!users.remove(name)) throw new UsageError(`no analyst named "${name}" (steveslist analyst list)`);
      process.stdout.write(`analyst ${name} removed; their next query is refused\n`);
      return 0;
    }
    if (action !== 'add' || !name) throw new UsageError(`usage: ${analystCommand.usage}`);
    const password = users.add(name, {
      maxResultRows: wholeNumber('--max-rows', values['max-rows'], DEFAULT_ANALYST_LIMITS.maxResultRows, 1),
      maxExecutionSeconds: wholeNumber('--timeout', values.timeout, DEFAULT_ANALYST_LIMITS.maxExecutionSeconds, 1),
      maxConcurrentQueries: wholeNumber('--concurrency', values.concurrency, DEFAULT_ANALYST_LIMITS.maxConcurrentQueries, 1),
    });
    const served = context.config.warehouse.url ? undefined : readServedWarehouse(context.config.warehouse.dir);
    const url = served?.url ?? `http://${context.config.warehouse.http.host}:${context.config.warehouse.http.port}`;
    // The password goes to standard output once, for the analyst's tool; it is kept only as a hash.
    process.stdout.write([
      `analyst ${name} added; the password is shown once:`,
      `  url       ${url}${served ? '' : '   (while the platform runs)'}`,
      `  user      ${name}`,
      `  password  ${password}`,
      `  JDBC      jdbc:clickhouse:${url}`,
      '',
    ].join('\n'));
    return 0;
  },
};
