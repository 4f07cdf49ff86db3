// The index's write-ahead log goes back into its file from a thread of its own, never inside the
// writer's commits: with a real SQLite file, the documents reach the file while the writing
// connection only starts the log over, and a thread that cannot work is heard of.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../../../test/fixtures/temp-dir.js';
import { eventually } from '../../../../test/fixtures/eventually.js';
import { DocumentStore } from './document-store.js';
import { startWalCheckpointer } from './wal-checkpointer.js';

const dir = tempDir();
afterAll(() => dir.remove());

const DESCRIPTION = 'A touring bike in good condition, new tyres, serviced last month, lights and a rack. '.repeat(8);

describe('the index\'s log checkpoints', () => {
  it('bring the written documents into the database file from another thread while the writer writes on', async () => {
    const path = join(dir.path, 'docs.sqlite');
    const store = new DocumentStore(path);
    try {
      expect(store.checkpointedBy()).toBe('thread');
      // About 8 MB of documents, written as the indexer writes them: a transaction per batch.
      for (let batch = 0; batch < 10; batch++) {
        store.write(() => {
          const seq = store.nextSeq();
          for (let i = 0; i < 1000; i++) {
            const id = batch * 1000 + i + 1;
            store.put({
              id, seller_id: 1, seller_name: 'Zoë', name: `Bike ${id}`, description: DESCRIPTION, category: 'bikes', country: 'US', city: 'Boston',
              latitude: null, longitude: null, price_amount: 10_000, price_currency: 'usd', status: 'active',
              created_at: '2026-01-01T10:00:00.000000Z', updated_at: '2026-01-01T10:00:00.000000Z',
            }, 1n, seq);
          }
        });
      }
      // Without any checkpoint the file itself would hold only its first pages until close.
      await eventually(async () => statSync(path).size > 6_000_000, true, 10_000);
      expect(store.checkpointedBy()).toBe('thread');
    } finally {
      store.close();
    }
    // The thread's connection was closed first, so the writer's close, the last, took the log away.
    expect(existsSync(`${path}-wal`)).toBe(false);
  });

  it('tells when its thread cannot work, so the writer checkpoints for itself again', async () => {
    const reasons: string[] = [];
    startWalCheckpointer(join(dir.path, 'missing', 'docs.sqlite'), (reason) => reasons.push(reason));
    await eventually(async () => reasons.length, 1, 10_000);
    expect(reasons[0]).toMatch(/unable to open|does not exist|directory/i);
  });
});
