// The embedded index on its own thread, beyond the search contract (which runs it as one more
// adapter): a thread that dies, and errors that cross back.
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { isRetriable } from '../../../../../core/errors.js';
import { listingDocument } from '../../../../../test/fixtures/search-adapters.js';
import { tempDir } from '../../../../../test/fixtures/temp-dir.js';
import { ThreadedEmbeddedSearch } from './threaded-search.js';

const dir = tempDir();
afterAll(() => dir.remove());

const threadOf = (service: ThreadedEmbeddedSearch) => (service as unknown as { calls: { worker: Worker | undefined } }).calls.worker;

describe('the embedded search index on its own thread', () => {
  it('fails the calls in flight as retriable when its thread dies, and opens the index again, whole, on the next call', async () => {
    const service = new ThreadedEmbeddedSearch({ dir: join(dir.path, 'dies'), alias: 'listings' });
    try {
      const store = await service.serving();
      await store.upsert(Array.from({ length: 500 }, (_, i) => ({ doc: listingDocument({ id: i + 1, name: `Bike ${i + 1}` }), version: 1n })));
      const thread = threadOf(service)!;

      // A write of 5,000 more crosses, and the thread is stopped as it arrives.
      const write = store.upsert(Array.from({ length: 5_000 }, (_, i) => ({ doc: listingDocument({ id: 1_000 + i, name: `Kayak ${i}` }), version: 1n })));
      await thread.terminate();
      const outcome = await write.then((value) => ({ value }), (error: unknown) => ({ error }));
      if ('error' in outcome) {
        expect((outcome.error as Error).message).toMatch(/search index's thread stopped/);
        expect(isRetriable(outcome.error)).toBe(true);
      }

      // A new thread reads what the files kept: the first 500, and the write wholly or not at all.
      const bikes = await store.search({ q: 'bike', perPage: 1 });
      expect(bikes.total).toBe(500);
      expect(threadOf(service)).not.toBe(thread);
      const kayaks = (await store.count()) - 500;
      expect([0, 5_000]).toContain(kayaks);
      if ('value' in outcome) expect(kayaks).toBe(5_000);
    } finally {
      await service.close();
    }
  }, 60_000);

  it('answers a call for an index it does not have with an error, and goes on serving', async () => {
    const service = new ThreadedEmbeddedSearch({ dir: join(dir.path, 'unknown'), alias: 'listings' });
    try {
      const store = await service.serving();
      const rebuilt = await service.beginRebuild();
      await service.abortRebuild(rebuilt);
      await expect(rebuilt.count()).rejects.toThrow(/search index listings-\d+ is not open/);
      expect(await store.count()).toBe(0);
    } finally {
      await service.close();
    }
  });

  it('refuses calls once closed, saying so', async () => {
    const service = new ThreadedEmbeddedSearch({ dir: join(dir.path, 'closed'), alias: 'listings' });
    const store = await service.serving();
    await service.close();
    await expect(store.count()).rejects.toThrow(/the search index is closed/);
  });
});
