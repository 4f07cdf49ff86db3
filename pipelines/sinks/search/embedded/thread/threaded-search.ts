// The embedded search service as the main thread sees it when the index runs on its own thread
// (search-thread.ts): the same port, each call answered there. A thread that dies fails the calls
// in flight as unavailable, which the indexer retries and /health shows; the next call starts a
// new thread, which opens the index from its files (core/threads/thread-calls.ts).
import { startThread } from '../../../../../core/threads/start-thread.js';
import { ThreadCalls } from '../../../../../core/threads/thread-calls.js';
import type {
  BulkOutcome, ListingDocument, SearchQuery, SearchResult, SearchService, SearchStore, VersionedDelete, VersionedDocument,
} from '../../port.js';
import { STORE_PREFIX, type SearchThreadSettings, type StoreMethod } from './search-calls.js';

export class ThreadedEmbeddedSearch implements SearchService {
  readonly kind = 'embedded' as const;
  private readonly calls: ThreadCalls;

  constructor(settings: SearchThreadSettings) {
    this.calls = new ThreadCalls(() => startThread(new URL('./search-thread.ts', import.meta.url), 'search-thread', { workerData: settings }), 'the search index');
  }

  ensureIndex(): Promise<void> {
    return this.calls.call('ensureIndex') as Promise<void>;
  }

  async serving(): Promise<SearchStore> {
    return this.store(await this.calls.call('serving') as string);
  }

  async writeTargets(): Promise<SearchStore[]> {
    return (await this.calls.call('writeTargets') as string[]).map((name) => this.store(name));
  }

  async beginRebuild(): Promise<SearchStore> {
    return this.store(await this.calls.call('beginRebuild') as string);
  }

  finishRebuild(store: SearchStore): Promise<void> {
    return this.calls.call('finishRebuild', store.name) as Promise<void>;
  }

  abortRebuild(store: SearchStore): Promise<void> {
    return this.calls.call('abortRebuild', store.name) as Promise<void>;
  }

  /** The thread closes its indexes (a last snapshot, the log checkpointed), then ends. */
  close(): Promise<void> {
    return this.calls.close('close');
  }

  private store(name: string): SearchStore {
    const call = (method: StoreMethod, ...args: unknown[]) => this.calls.call(`${STORE_PREFIX}${method}`, name, ...args);
    return {
      name,
      upsert: (documents: readonly VersionedDocument[]) => call('upsert', documents) as Promise<BulkOutcome>,
      remove: (deletes: readonly VersionedDelete[]) => call('remove', deletes) as Promise<BulkOutcome>,
      truncate: (version: bigint) => call('truncate', version) as Promise<void>,
      truncatedBelow: () => call('truncatedBelow') as Promise<bigint>,
      setSellerName: (sellerId: number, sellerName: string) => call('setSellerName', sellerId, sellerName) as Promise<void>,
      search: (query: SearchQuery) => call('search', query) as Promise<SearchResult>,
      count: () => call('count') as Promise<number>,
      scan: (afterId: number, limit: number) => call('scan', afterId, limit) as Promise<{ version: bigint; doc: ListingDocument }[]>,
    };
  }
}
