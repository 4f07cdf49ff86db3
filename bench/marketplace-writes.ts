// How fast the marketplace can write into MariaDB here: bulk seeding, and single-operation
// transactions (each with its outbox event) from concurrent connections.
import { createListing } from '../marketplace/domain/listings.js';
import { createMysqlPool } from '../marketplace/mysql/connection.js';
import type { LocalMysqlServer } from '../marketplace/mysql/local-server.js';
import { sampleListing } from '../marketplace/sample-data/generate.js';
import { Random } from '../marketplace/sample-data/random.js';
import { seed } from '../marketplace/sample-data/seed.js';
import { simulate } from '../marketplace/sample-data/simulate.js';
import { migrate } from '../marketplace/schema/migrate.js';
import { measure, type BenchResult } from './table.js';

const quiet = () => ({ update() {}, finish() {} });

export async function* writeBenches(server: LocalMysqlServer): AsyncGenerator<BenchResult> {
  const url = server.url('bench_writes');
  await migrate(url);
  const pool = await createMysqlPool(url, { connectionLimit: 16 });
  try {
    let t = Date.now();
    await seed(pool, { users: 5_000, listings: 0, progress: quiet });
    yield measure('seed users (1,000-row transactions)', 'rows', 5_000, Date.now() - t, '+ credentials + outbox rows');

    t = Date.now();
    await seed(pool, { users: 0, listings: 50_000, progress: quiet });
    yield measure('seed listings (1,000-row transactions)', 'rows', 50_000, Date.now() - t, '+ outbox rows');

    const rng = new Random(3);
    const n = 4_000;
    const concurrency = 8;
    let next = 0;
    t = Date.now();
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (next++ < n) {
        const { createdAt: _ignored, ...listing } = sampleListing(rng, { id: rng.int(1, 5_000) }, new Date());
        await createListing(pool, listing);
      }
    }));
    yield measure('create listing, one per transaction', 'tx', n, Date.now() - t, `${concurrency} connections, durable commits`);

    const result = await simulate(pool, { ratePerSecond: 100_000, durationMs: 50, concurrency, progress: quiet });
    const ops = Object.values(result.operations).reduce((a, b) => a + b, 0) + result.conflicts;
    yield measure('simulate at full speed (mixed operations)', 'ops', ops, result.elapsedMs, `${concurrency} connections, ${result.errors} errors`);
  } finally {
    await pool.end();
  }
}
