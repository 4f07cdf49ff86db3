import { UsageError } from '../../core/errors.js';
import { parseMysqlUrl } from '../../marketplace/mysql/connection.js';
import { captureFilter } from '../../pipelines/cdc/topics.js';
import { openWarehouse } from '../../warehouse/index.js';
import { backfill, verifyWarehouse } from '../../warehouse/backfill.js';
import { parseOptions } from '../args.js';
import type { Command } from '../command.js';
import { openDatabase } from './open-database.js';

export const warehouseCommand: Command = {
  summary: 'reload raw warehouse tables from MySQL, or compare them with MySQL',
  usage: 'steveslist warehouse backfill [table ...] | steveslist warehouse verify [table ...]',
  examples: ['npx steveslist warehouse verify listings users'],
  async run(context) {
    const { positionals } = parseOptions(context.args, {});
    const [action, ...tables] = positionals;
    if (action !== 'backfill' && action !== 'verify') throw new UsageError(`usage: ${warehouseCommand.usage}`);
    const db = await openDatabase(context, { connectionLimit: 2 });
    const client = openWarehouse(context.config);
    try {
      const database = parseMysqlUrl(db.source.url).database;
      const options = { url: db.source.url, pool: db.pool, database, client, tables, filter: captureFilter(context.config, database) };
      if (action === 'backfill') {
        const done = await backfill({ ...options, engine: context.config.cdc.engine });
        process.stdout.write(`${done.map((d) => `${d.table}: ${d.rows} rows`).join('\n')}\n`);
        return 0;
      }
      const reports = await verifyWarehouse(options);
      let differences = 0;
      for (const r of reports) {
        const off = r.missing.length + r.phantom.length + r.different.length;
        differences += off;
        const detail = `; missing ${r.missing.join(', ') || '-'}; not in MySQL ${r.phantom.join(', ') || '-'}; older in the warehouse ${r.different.join(', ') || '-'}`;
        process.stdout.write(`${r.table}: MySQL ${r.mysqlRows}, warehouse ${r.warehouseRows}${off ? detail : ' (same rows)'}\n`);
      }
      return differences === 0 ? 0 : 1;
    } finally {
      await client.close();
      await db.close();
    }
  },
};
