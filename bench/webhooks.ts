// Webhooks: deliveries per second to a local receiver, and commit -> delivered latency.
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateWebhookSecret } from '../core/webhook-signature.js';
import { silentLogger } from '../core/log.js';
import { createListing } from '../marketplace/domain/listings.js';
import { createUser } from '../marketplace/domain/users.js';
import { createMysqlPool, parseMysqlUrl } from '../marketplace/mysql/connection.js';
import type { LocalMysqlServer } from '../marketplace/mysql/local-server.js';
import { migrate } from '../marketplace/schema/migrate.js';
import { EmbeddedBus } from '../pipelines/bus/embedded/index.js';
import { CdcReader } from '../pipelines/cdc/reader.js';
import { FileStateStore } from '../pipelines/cdc/reader-state.js';
import { TableFilter } from '../pipelines/cdc/topics.js';
import { startWebhookEnqueuer, WebhookDispatcher } from '../pipelines/sinks/webhooks/webhook-worker.js';
import { pacedWrites } from './paced-writes.js';
import { measure, type BenchResult } from './table.js';

const percentile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

export async function* webhookBenches(server: LocalMysqlServer): AsyncGenerator<BenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'steveslist-bench-hooks-'));
  const url = server.url('bench_hooks');
  await migrate(url);
  const pool = await createMysqlPool(url, { connectionLimit: 24 });
  const deliveredAt = new Map<string, number>();
  const receiver = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => { body += chunk; });
    request.on('end', () => {
      const name = (JSON.parse(body) as { data: { name?: string } }).data.name;
      if (name) deliveredAt.set(name, performance.now());
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const bus = await EmbeddedBus.open({ dir: join(dir, 'bus'), defaultPartitions: 4, segmentBytes: 64 << 20, fsync: 'always', fsyncIntervalMs: 100, retentionBytes: 1 << 40, retentionMs: 1e12 });
  const options = { bus, pool, topicPrefix: 'hooks', log: silentLogger(), allowPrivate: true, pollMs: 20 };
  const enqueuer = startWebhookEnqueuer(options);
  const dispatcher = new WebhookDispatcher(options);
  const reader = CdcReader.start({
    url, bus, store: new FileStateStore(join(dir, 'cdc')), topicPrefix: 'hooks',
    filter: new TableFilter({ database: parseMysqlUrl(url).database, include: [], exclude: [], excludeColumns: [] }),
    replicaServerId: 77_030, snapshotChunkRows: 5000, onMissingBinlog: 'fail', log: silentLogger(), progress: () => ({ update() {}, finish() {} }),
  });
  try {
    const seller = await createUser(pool, { email: 'bench-seller@example.com', name: 'Seller', passwordHash: 'x' });
    const port = (receiver.address() as { port: number }).port;
    await pool.query('INSERT INTO webhook_endpoints (user_id, url, event_types, secret) VALUES (?, ?, ?, ?)', [seller.id, `http://127.0.0.1:${port}/hook`, '["listing.created"]', generateWebhookSecret()]);
    await enqueuer.start();
    dispatcher.start();
    while (reader.stats().phase !== 'streaming') await new Promise((r) => setTimeout(r, 10));

    const total = 3000;
    const ratePerSecond = 300;
    const committedAt = new Map<string, number>();
    const start = await pacedWrites({ total, ratePerSecond, workers: 8 }, async (i) => {
      const name = `hook-${i}`;
      await createListing(pool, { sellerId: seller.id, name, description: 'x', category: 'bikes', country: 'US', city: 'Austin', priceAmount: 100, priceCurrency: 'usd' });
      committedAt.set(name, performance.now());
    });
    while (deliveredAt.size < total) await new Promise((r) => setTimeout(r, 20));
    const elapsed = Math.max(...deliveredAt.values()) - start;
    const lags = [...committedAt].map(([name, at]) => deliveredAt.get(name)! - at).sort((a, b) => a - b);
    yield {
      ...measure(`webhook deliveries at ${ratePerSecond} events/s, local receiver`, 'deliveries', total, elapsed),
      note: `commit -> delivered p50 ${percentile(lags, 0.5).toFixed(0)} ms, p99 ${percentile(lags, 0.99).toFixed(0)} ms`,
    };
  } finally {
    await reader.stop();
    await dispatcher.stop();
    await enqueuer.stop();
    await bus.close();
    await pool.end();
    receiver.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
