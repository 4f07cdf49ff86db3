// Search: the port, and the adapter the configuration asks for.
import type { Config } from '../../../core/config/index.js';
import { EmbeddedSearch } from './embedded/index.js';
import type { SearchService } from './port.js';

export type * from './port.js';
export { startSearchIndexer, SEARCH_GROUP } from './indexer.js';

export async function openSearch(config: Config): Promise<SearchService> {
  const es = config.search.elasticsearch;
  // Loaded only when asked for: Elasticsearch's client is a large part of a start without it.
  if (es) return (await import('./elasticsearch.js')).ElasticsearchSearch.connect({ ...es, alias: config.search.alias, synonyms: config.search.synonyms });
  const service = new EmbeddedSearch(config.search.dir, config.search.alias, { synonyms: config.search.synonyms });
  await service.ensureIndex();
  return service;
}
