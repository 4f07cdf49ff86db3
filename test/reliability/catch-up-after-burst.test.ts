// Catch-up after a burst: MariaDB written flat out with direct SQL (20-row inserts, updates,
// deletes on several connections) while `steveslist up` is killed with -9 at seeded moments; once
// the copies equal MySQL, the checker finds nothing lost, phantom or stale. The seconds from the
// last write to equal are printed, not asserted: `BENCH_ONLY=catch-up npm run bench` measures
// them. CHAOS_BURST_SECONDS=60 CHAOS_BURST_KILLS=5 runs the full scenario of issue 26.
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/log.js';
import { createMysqlPool } from '../../marketplace/mysql/connection.js';
import { LocalMysqlServer } from '../../marketplace/mysql/local-server.js';
import { migrate } from '../../marketplace/schema/migrate.js';
import { addBurstSellers } from '../fixtures/burst-writer.js';
import { replicaId } from '../fixtures/cdc.js';
import type { RunningCli } from '../fixtures/run-cli.js';
import { tempDir } from '../fixtures/temp-dir.js';
import { describeKill, describePlatform, runBurst } from './burst-run.js';
import { describeLastPoll } from './caught-up.js';
import { formatCheck } from './checker.js';

const SECONDS = Number(process.env.CHAOS_BURST_SECONDS ?? 15);
const KILLS = Number(process.env.CHAOS_BURST_KILLS ?? 2);
const SEED = Number(process.env.CHAOS_SEED ?? 2024);
const CONNECTIONS = 8;

const dir = tempDir();
const started: RunningCli[] = [];
const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const up of started) up.child.kill('SIGKILL');
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  dir.remove();
});

describe('catch-up after a burst', () => {
  it(`every copy equals MySQL after ${SECONDS} s of writes flat out with ${KILLS} kill -9 of the platform`, async () => {
    // A MariaDB of its own: change capture reads the whole server's binlog, and the other test
    // files' writes would be part of what it catches up on.
    const server = await LocalMysqlServer.open({ dataDir: join(dir.path, 'mysql'), log: silentLogger() });
    cleanups.push(() => server.stop());
    const url = server.url();
    await migrate(url);
    const pool = await createMysqlPool(url);
    cleanups.push(() => pool.end());
    await addBurstSellers(pool, 50, SEED);

    const run = await runBurst({
      url, pool, database: 'steveslist', dataDir: join(dir.path, 'platform'), seconds: SECONDS, kills: KILLS, seed: SEED, connections: CONNECTIONS,
      cdcServerId: replicaId(), catchUpTimeoutMs: 600_000, track: (up) => started.push(up),
      engines: { elasticsearchUrl: process.env.ELASTICSEARCH_URL, kafkaBrokers: process.env.KAFKA_BROKERS },
    });
    cleanups.push(() => run.removeSearchIndex());
    const { burst, caughtUp } = run;
    const after = (at: number | undefined) => (at === undefined ? 'not within the timeout' : `${((at - burst.lastCommitAt) / 1000).toFixed(1)} s`);
    process.stdout.write(formatCheck(
      `catch-up after a burst (seed ${SEED}): ${burst.statements} statements (${burst.inserts} inserts, ${burst.updates} updates, ${burst.deletes} deletes), `
      + `${burst.rowEvents} row events in ${SECONDS} s on ${CONNECTIONS} connections; kill -9 at ${run.kills.map(describeKill).join(', ') || 'none'}; `
      + `equal after the last write: search ${after(caughtUp.search)}, warehouse ${after(caughtUp.warehouse)} (polls of ${caughtUp.pollMs.toFixed(0)} ms)`,
      caughtUp.check,
    ));

    expect(burst.inserts).toBeGreaterThan(0);
    expect(burst.updates + burst.deletes).toBeGreaterThan(0);
    if (caughtUp.search === undefined || caughtUp.warehouse === undefined) {
      expect.fail(`a copy never equalled MySQL (last poll: ${describeLastPoll(caughtUp)})\n${await describePlatform(run.up)}`);
    }
    expect(caughtUp.check.filter((row) => row.lost + row.phantom + row.stale > 0)).toEqual([]);
    expect(caughtUp.check.find((row) => row.copy === 'search: listings')!.checked).toBeGreaterThan(0);
    expect(caughtUp.check.find((row) => row.copy === 'warehouse: listings')!.checked).toBeGreaterThan(0);

    run.up.child.kill('SIGINT');
    expect(await run.up.exited, run.up.output().slice(-3000)).toBe(0);
  }, 900_000 + SECONDS * 10_000);
});
