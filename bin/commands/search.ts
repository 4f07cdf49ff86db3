import { UsageError } from '../../core/errors.js';
import { openSearch } from '../../pipelines/sinks/search/index.js';
import { reindex, verify } from '../../pipelines/sinks/search/rebuild.js';
import { parseOptions } from '../args.js';
import type { Command } from '../command.js';
import { openDatabase } from './open-database.js';

export const searchCommand: Command = {
  summary: 'rebuild the search index from MySQL (alias swap), or compare it with MySQL',
  usage: 'steveslist search reindex | steveslist search verify',
  examples: ['npx steveslist search verify'],
  async run(context) {
    const { positionals } = parseOptions(context.args, {});
    const [action] = positionals;
    if (action !== 'reindex' && action !== 'verify') throw new UsageError(`usage: ${searchCommand.usage}`);
    const db = await openDatabase(context, { connectionLimit: 2 });
    const search = await openSearch(context.config);
    try {
      if (action === 'reindex') {
        const result = await reindex({ url: db.source.url, search, engine: context.config.cdc.engine });
        process.stdout.write(`reindexed ${result.documents} listings into ${result.index} in ${(result.elapsedMs / 1000).toFixed(1)}s; it now serves searches\n`);
        return 0;
      }
      const report = await verify({ url: db.source.url, search });
      const sample = (ids: unknown[]) => (ids.length ? ` (e.g. ${ids.slice(0, 10).map((x) => JSON.stringify(x)).join(', ')})` : '');
      process.stdout.write([
        `checked ${report.checked} active listings`,
        `missing from the index: ${report.missing.length}${sample(report.missing)}`,
        `in the index but not active in MySQL: ${report.phantom.length}${sample(report.phantom)}`,
        `different content: ${report.stale.length}${sample(report.stale)}`,
      ].join('\n') + '\n');
      return report.missing.length + report.phantom.length + report.stale.length === 0 ? 0 : 1;
    } finally {
      await search.close();
      await db.close();
    }
  },
};
