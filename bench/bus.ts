// Embedded bus throughput: publishing (with each fsync policy) and consuming by a group.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedBus } from '../pipelines/bus/embedded/index.js';
import type { FsyncPolicy } from '../pipelines/bus/embedded/partition-log.js';
import { measure, type BenchResult } from './table.js';

const MESSAGES = 200_000;
const BATCH = 500;
const PRODUCERS = 4;

async function publishAndConsume(fsync: FsyncPolicy): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'steveslist-bench-bus-'));
  const bus = await EmbeddedBus.open({ dir, defaultPartitions: 4, segmentBytes: 64 << 20, fsync, fsyncIntervalMs: 100, retentionBytes: 1 << 40, retentionMs: 1e12 });
  try {
    const value = JSON.stringify({ before: null, after: { id: 1, name: 'x'.repeat(400) }, op: 'c' });
    let sent = 0;
    let t = Date.now();
    // Several producers at once, as the CDC reader publishes to several topics in parallel.
    await Promise.all(Array.from({ length: PRODUCERS }, async () => {
      while (sent < MESSAGES) {
        const from = sent;
        sent += BATCH;
        await bus.publish('bench', Array.from({ length: BATCH }, (_, i) => ({ key: `{"id":${from + i}}`, value })));
      }
    }));
    const published = measure(`bus publish, fsync ${fsync}`, 'msg', sent, Date.now() - t, `${PRODUCERS} producers x ${BATCH}-message batches, ~0.5 KB each`);

    t = Date.now();
    let received = 0;
    await new Promise<void>((resolve) => {
      void bus.subscribe({ group: 'bench', topics: ['bench'], maxBatchSize: 1000 }, async (batch) => {
        received += batch.messages.length;
        if (received >= sent) resolve();
      });
    });
    const consumed = measure(`bus consume, fsync ${fsync}`, 'msg', received, Date.now() - t, 'one group, 4 partitions');
    return [published, consumed];
  } finally {
    await bus.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function* busBenches(): AsyncGenerator<BenchResult> {
  for (const fsync of ['always', 'never'] as const) yield* await publishAndConsume(fsync);
}
