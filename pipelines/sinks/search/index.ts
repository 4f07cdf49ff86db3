// Search: the port, and the adapter the configuration asks for.
import type { Config } from '../../../core/config/index.js';
import { ElasticsearchSearch } from './elasticsearch.js';
import { EmbeddedSearch } from './embedded/index.js';
import type { SearchService } from './port.js';

export type * from './port.js';
export { startSearchIndexer, SEARCH_GROUP } from './indexer.js';

export async function openSearch(config: Config): Promise<SearchService> {
  const es = config.search.elasticsearch;
  if (es) return ElasticsearchSearch.connect({ ...es, alias: config.search.alias, synonyms: config.search.synonyms });
  const service = new EmbeddedSearch(config.search.dir, config.search.alias, { synonyms: config.search.synonyms });
  await service.ensureIndex();
  return service;
}
