// The in-memory percolator as the main thread sees it when it runs on its own thread
// (percolator-thread.ts): the same port. Its saved searches live only in that thread's memory,
// so a thread that dies leaves a new one empty: until whoever filled the first one (the alerts
// worker, through refillWith) has filled the new one, calls fail as unavailable, which the
// alerts consumer retries and /health shows; no listing is matched against a partial set.
import { ServiceUnavailable } from '../../../../core/errors.js';
import { backoffMs } from '../../../../core/retry-schedule.js';
import { startThread } from '../../../../core/threads/start-thread.js';
import { ThreadCalls } from '../../../../core/threads/thread-calls.js';
import type { ListingDocument } from '../../search/port.js';
import type { SynonymGroups } from '../../search/synonyms.js';
import type { Percolator } from '../percolator.js';
import type { SavedSearch } from '../saved-search.js';

type Fill = (percolator: Percolator) => Promise<void>;

export class ThreadedEmbeddedPercolator implements Percolator {
  readonly kind = 'embedded' as const;
  private readonly calls: ThreadCalls;
  private fill: Fill | undefined;
  /** Set while a new thread is being filled. */
  private refilling: Promise<void> | undefined;
  /** The same calls, straight to the thread: what the fill goes through. */
  private readonly direct: Percolator;

  constructor(options: { synonyms?: SynonymGroups; wordsFile?: string } = {}) {
    this.calls = new ThreadCalls(() => startThread(new URL('./percolator-thread.ts', import.meta.url), 'percolator-thread', { workerData: options }), 'the saved-search percolator');
    this.calls.onLost = () => {
      if (this.fill && !this.refilling) this.refilling = this.refill(this.fill).finally(() => { this.refilling = undefined; });
    };
    this.direct = {
      kind: 'embedded',
      upsert: (searches) => this.calls.call('upsert', searches) as Promise<void>,
      remove: (ids) => this.calls.call('remove', ids) as Promise<void>,
      match: (listings) => this.calls.call('match', listings) as Promise<Map<number, number[]>>,
      learn: (listings) => this.calls.tell('learn', listings),
      restoreWords: () => this.calls.call('restoreWords') as Promise<number | undefined>,
      count: () => this.calls.call('count') as Promise<number>,
      close: () => this.calls.close('close'),
    };
  }

  refillWith(fill: Fill): void {
    this.fill = fill;
  }

  upsert(searches: readonly SavedSearch[]): Promise<void> {
    return this.whenFilled(() => this.direct.upsert(searches));
  }

  remove(ids: readonly number[]): Promise<void> {
    return this.whenFilled(() => this.direct.remove(ids));
  }

  match(listings: readonly ListingDocument[]): Promise<Map<number, number[]>> {
    return this.whenFilled(() => this.direct.match(listings));
  }

  learn(listings: readonly Pick<ListingDocument, 'name' | 'description' | 'category' | 'city'>[]): void {
    // While refilling, the fill teaches the new thread the words itself.
    if (!this.refilling) this.direct.learn!(listings);
  }

  restoreWords(): Promise<number | undefined> {
    return this.whenFilled(() => this.direct.restoreWords!());
  }

  count(): Promise<number> {
    return this.whenFilled(() => this.direct.count());
  }

  close(): Promise<void> {
    return this.calls.close('close');
  }

  private whenFilled<T>(work: () => Promise<T>): Promise<T> {
    if (this.refilling) return Promise.reject(new ServiceUnavailable('the saved-search percolator is being filled again after its thread stopped'));
    return work();
  }

  private async refill(fill: Fill): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await fill(this.direct);
        return;
      } catch {
        // A source that does not answer now: the fill is tried again, calls failing meanwhile.
        await new Promise((resolve) => setTimeout(resolve, backoffMs(attempt, 500, 30_000)));
      }
    }
  }
}
