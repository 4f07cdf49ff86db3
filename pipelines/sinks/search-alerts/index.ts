// Saved-search alerts: the percolator the configuration asks for, and the worker.
import { join } from 'node:path';
import type { Config } from '../../../core/config/index.js';
import type { Logger } from '../../../core/log.js';
import { ThreadedEmbeddedPercolator } from './thread/threaded-percolator.js';
import type { Percolator } from './percolator.js';

export type { Percolator } from './percolator.js';
export type { SavedSearch } from './saved-search.js';

/**
 * Elasticsearch's percolate query when search runs there; otherwise, or when the cluster lacks the
 * percolator module, the in-memory percolator (the worker loads it from the database).
 */
export async function openPercolator(config: Config, log: Logger): Promise<Percolator> {
  const es = config.search.elasticsearch;
  const synonyms = config.search.synonyms;
  // On a thread of its own: matching every listing takes no turns from the other roles.
  const embedded = () => new ThreadedEmbeddedPercolator({ synonyms, wordsFile: join(config.dataDir, 'search-alerts', 'known-words.txt') });
  if (!es) return embedded();
  // Loaded only when search runs on Elasticsearch, as the search adapter is.
  const { ElasticsearchPercolator, PercolatorUnsupported } = await import('./elasticsearch-percolator.js');
  try {
    return await ElasticsearchPercolator.connect({ ...es, index: `${config.search.alias}-saved-searches`, synonyms });
  } catch (error) {
    if (!(error instanceof PercolatorUnsupported)) throw error;
    log.warn({ reason: error.message }, 'saved-search alerts: matching in memory');
    return embedded();
  }
}
