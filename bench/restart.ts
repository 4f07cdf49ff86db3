// A restart, as an operator's kill -9 or a crash has it: how long `steveslist up` takes to serve
// again, and until a write made right after the restart is found in search (capture streaming
// again, the bus, the indexer). The same cycle runs the bundle `npm install` builds and the
// TypeScript sources through tsx, in one run, so the two compare on the same load.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildServer } from '../bin/build-server.js';
import { freePort } from '../core/ports.js';
import { createMysqlPool } from '../marketplace/mysql/connection.js';
import type { LocalMysqlServer } from '../marketplace/mysql/local-server.js';
import { migrate } from '../marketplace/schema/migrate.js';
import { directListings } from '../test/fixtures/direct-listings.js';
import { startCli, type RunningCli } from '../test/fixtures/run-cli.js';
import { percentile } from './observe.js';
import { measure, type BenchResult } from './table.js';

const RESTARTS = Number(process.env.BENCH_RESTARTS ?? 5);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function found(base: string, word: string): Promise<boolean> {
  const response = await fetch(`${base}/v1/search?q=${word}`).catch(() => undefined);
  if (!response?.ok) return false;
  return ((await response.json()) as { total: number }).total > 0;
}

export async function* restartBenches(server: LocalMysqlServer): AsyncGenerator<BenchResult> {
  await buildServer();
  const url = server.url('bench_restart');
  await migrate(url);
  const pool = await createMysqlPool(url);
  const listings = directListings(pool, { email: 'restart-bench@example.com', name: 'Restart Bench' });
  const dir = mkdtempSync(join(tmpdir(), 'steveslist-restart-'));
  let up: RunningCli | undefined;
  try {
    for (const from of ['bundle', 'sources'] as const) {
      const port = await freePort();
      const env = {
        MYSQL_URL: url, DATA_DIR: join(dir, from), PORT: String(port), ADMIN_PORT: '0', WAREHOUSE_HTTP_PORT: '0', LOG_LEVEL: 'info',
        STEVESLIST_FROM_SOURCES: from === 'sources' ? '1' : undefined, CDC_SERVER_ID: String(4000 + (from === 'bundle' ? 1 : 2)),
      };
      const base = `http://127.0.0.1:${port}`;
      up = startCli(['up'], env);
      await up.waitFor(/steveslist is up/, 120_000);
      const serving: number[] = [];
      const streaming: number[] = [];
      for (let i = 0; i < RESTARTS; i++) {
        // Something to catch up on: writes while it is down, as after a real crash.
        up.child.kill('SIGKILL');
        await up.exited;
        const started = Date.now();
        up = startCli(['up'], env);
        await up.waitFor(/steveslist is up/, 120_000);
        serving.push(Date.now() - started);
        const word = `restart${randomBytes(4).toString('hex')}`;
        await listings.add(`Bench ${word}`);
        while (!(await found(base, word))) {
          if (Date.now() - started > 60_000) throw new Error(`a listing written after restart ${i + 1} (${from}) was not found in a minute`);
          await sleep(10);
        }
        streaming.push(Date.now() - started);
      }
      serving.sort((a, b) => a - b);
      streaming.sort((a, b) => a - b);
      const total = streaming.reduce((sum, ms) => sum + ms, 0);
      yield measure(`restart (${from === 'bundle' ? 'bundle' : 'tsx sources'}): kill -9 to a new write found`, 'restart', RESTARTS, total,
        `${RESTARTS} restarts of up on an external MariaDB; serving again p50 ${percentile(serving, 0.5)} ms, max ${serving[serving.length - 1]} ms; new write found in search p50 ${percentile(streaming, 0.5)} ms, max ${streaming[streaming.length - 1]} ms`);
      up.child.kill('SIGINT');
      await up.exited;
      up = undefined;
    }
  } finally {
    up?.child.kill('SIGKILL');
    await pool.end();
    rmSync(dir, { recursive: true, force: true });
  }
}
