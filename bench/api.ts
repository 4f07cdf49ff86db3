// Public API throughput over real HTTP: listing reads (one listing, a page of listings) and
// listing creates (each a transaction with its outbox row), measured with autocannon. The load
// generator shares the machine (and its 2 cores) with the server and MariaDB.
import autocannon from 'autocannon';
import { buildPublicServer } from '../api/public/server.js';
import { silentLogger } from '../core/log.js';
import { createMysqlPool } from '../marketplace/mysql/connection.js';
import type { LocalMysqlServer } from '../marketplace/mysql/local-server.js';
import { seed } from '../marketplace/sample-data/seed.js';
import { migrate } from '../marketplace/schema/migrate.js';
import { measure, type BenchResult } from './table.js';

const quiet = () => ({ update() {}, finish() {} });
const DURATION_S = 8;
const CONNECTIONS = 32;

function run(options: autocannon.Options): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon(options, (error, result) => (error ? reject(error) : resolve(result)));
  });
}

function toResult(name: string, result: autocannon.Result): BenchResult {
  const failed = result.non2xx + result.errors + result.timeouts;
  return measure(name, 'req', result.requests.total, result.duration * 1000,
    `${CONNECTIONS} connections; latency p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms; ${failed} failed`);
}

export async function* apiBenches(server: LocalMysqlServer): AsyncGenerator<BenchResult> {
  const url = server.url('bench_api');
  await migrate(url);
  const pool = await createMysqlPool(url, { connectionLimit: 16 });
  const listings = 20_000;
  await seed(pool, { users: 2_000, listings, progress: quiet });
  const app = await buildPublicServer({ pool, log: silentLogger(), rateLimit: { perMinute: 100_000_000, authPerMinute: 1_000 } });
  try {
    const base = await app.listen({ host: '127.0.0.1', port: 0 });
    const signUp = await fetch(`${base}/v1/users`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'bench@example.com', password: 'bench password', name: 'Bench' }),
    }).then((r) => r.json()) as { session: { token: string } };
    const { key } = await fetch(`${base}/v1/api-keys`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${signUp.session.token}` }, body: JSON.stringify({ name: 'bench' }),
    }).then((r) => r.json()) as { key: string };

    let n = 0;
    yield toResult('API: GET /v1/listings/:id', await run({
      url: base, connections: CONNECTIONS, duration: DURATION_S,
      requests: [{ setupRequest: (request) => ({ ...request, path: `/v1/listings/${(n++ * 7919) % listings + 1}` }) }],
    }));
    yield toResult('API: GET /v1/listings (page of 20)', await run({ url: `${base}/v1/listings?limit=20`, connections: CONNECTIONS, duration: DURATION_S }));
    const body = JSON.stringify({ name: 'Bench bike', description: 'Fast and blue.', category: 'bikes', country: 'US', city: 'Boston', price_amount: 12_000, price_currency: 'usd' });
    yield toResult('API: POST /v1/listings (API key)', await run({
      url: `${base}/v1/listings`, method: 'POST', body, connections: CONNECTIONS, duration: DURATION_S,
      headers: { 'content-type': 'application/json', 'x-steveslist-api-key': key },
    }));
  } finally {
    await app.close();
    await pool.end();
  }
}
