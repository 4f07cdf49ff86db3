// The embedded search service as the main thread sees it when the index runs on its own thread
// (search-thread.ts): the same port, each call answered there. A thread that dies (out of
// memory, a native crash) fails the calls in flight as unavailable, which the indexer retries
// and /health shows; the next call starts a new thread, which opens the index from its files.
import type { Worker } from 'node:worker_threads';
import { ServiceUnavailable } from '../../../../../core/errors.js';
import { reviveError } from '../../../../../core/threads/crossing-errors.js';
import { startThread } from '../../../../../core/threads/start-thread.js';
import type {
  BulkOutcome, ListingDocument, SearchQuery, SearchResult, SearchService, SearchStore, VersionedDelete, VersionedDocument,
} from '../../port.js';
import type { SearchAnswer, SearchCall, SearchThreadSettings, ServiceMethod, StoreMethod } from './search-calls.js';

type Pending = { resolve: (value: unknown) => void; reject: (error: Error) => void };

export class ThreadedEmbeddedSearch implements SearchService {
  readonly kind = 'embedded' as const;
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;

  constructor(private readonly settings: SearchThreadSettings) {}

  ensureIndex(): Promise<void> {
    return this.call('ensureIndex') as Promise<void>;
  }

  async serving(): Promise<SearchStore> {
    return this.store(await this.call('serving') as string);
  }

  async writeTargets(): Promise<SearchStore[]> {
    return (await this.call('writeTargets') as string[]).map((name) => this.store(name));
  }

  async beginRebuild(): Promise<SearchStore> {
    return this.store(await this.call('beginRebuild') as string);
  }

  finishRebuild(store: SearchStore): Promise<void> {
    return this.call('finishRebuild', store.name) as Promise<void>;
  }

  abortRebuild(store: SearchStore): Promise<void> {
    return this.call('abortRebuild', store.name) as Promise<void>;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (!this.worker) return;
    // The thread closes its indexes (a last snapshot, the log checkpointed), then ends.
    await this.send({ id: this.nextId++, method: 'close', args: [] }).catch(() => undefined);
    await this.worker?.terminate();
    this.worker = undefined;
  }

  private store(name: string): SearchStore {
    const call = (method: StoreMethod, ...args: unknown[]) => this.send({ id: this.nextId++, store: name, method, args });
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

  private call(method: ServiceMethod, ...args: unknown[]): Promise<unknown> {
    return this.send({ id: this.nextId++, method, args });
  }

  private send(call: SearchCall): Promise<unknown> {
    if (this.closed && call.method !== 'close') return Promise.reject(new ServiceUnavailable('the search index is closed'));
    const worker = this.thread();
    return new Promise((resolve, reject) => {
      this.pending.set(call.id, { resolve, reject });
      // Keeps the process alive while a call is out, and only then (see thread()).
      if (this.pending.size === 1) worker.ref();
      worker.postMessage(call);
    });
  }

  private thread(): Worker {
    if (this.worker) return this.worker;
    const worker = startThread(new URL('./search-thread.ts', import.meta.url), 'search-thread', { workerData: this.settings });
    worker.on('message', (answer: SearchAnswer) => {
      const pending = this.pending.get(answer.id);
      if (!pending) return;
      this.pending.delete(answer.id);
      if (this.pending.size === 0) worker.unref();
      if (answer.error) pending.reject(reviveError(answer.error));
      else pending.resolve(answer.value);
    });
    const lost = (why: string) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      const error = new ServiceUnavailable(`the search index's thread stopped (${why}); it is opened again on the next call`);
      for (const pending of this.pending.values()) pending.reject(error);
      this.pending.clear();
    };
    // An idle thread does not keep the process from ending, as an idle index in memory did not.
    worker.unref();
    worker.on('error', (error) => lost(error.message));
    worker.on('exit', (code) => lost(`exit code ${code}`));
    this.worker = worker;
    return worker;
  }
}
