// Search: the port, and the adapter the configuration asks for.
import type { Config } from '../../../core/config/index.js';
import { ThreadedEmbeddedSearch } from './embedded/thread/threaded-search.js';
import type { SearchService } from './port.js';

export type * from './port.js';
export { startSearchIndexer, SEARCH_GROUP } from './indexer.js';

export async function openSearch(config: Config): Promise<SearchService> {
  const es = config.search.elasticsearch;
  // Loaded only when asked for: Elasticsearch's client is a large part of a start without it.
  if (es) return (await import('./elasticsearch.js')).ElasticsearchSearch.connect({ ...es, alias: config.search.alias, synonyms: config.search.synonyms });
  // On a thread of its own: indexing and queries then take no turns from the other roles.
  const service = new ThreadedEmbeddedSearch({ dir: config.search.dir, alias: config.search.alias, synonyms: config.search.synonyms });
  await service.ensureIndex();
  return service;
}
