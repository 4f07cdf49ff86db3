// Catch-up after a burst (issue 26): MariaDB written flat out with direct SQL for a minute while
// `steveslist up` runs on the default engines, once without faults and once killed with -9 at 5
// seeded moments, both in one run. Rows: what MariaDB took, and the time from the last write's
// commit until search, the warehouse and both equal MySQL (the reliability harness's probe and
// checker). With ELASTICSEARCH_URL / KAFKA_BROKERS set, the platform runs on those instead.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMysqlPool } from '../marketplace/mysql/connection.js';
import type { LocalMysqlServer } from '../marketplace/mysql/local-server.js';
import { migrate } from '../marketplace/schema/migrate.js';
import { addBurstSellers } from '../test/fixtures/burst-writer.js';
import type { RunningCli } from '../test/fixtures/run-cli.js';
import { describeKill, runBurst, type BurstRun } from '../test/reliability/burst-run.js';
import { measure, type BenchResult } from './table.js';

const SECONDS = Number(process.env.BENCH_BURST_SECONDS ?? 60);
const KILLS = Number(process.env.BENCH_BURST_KILLS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_BURST_CONNECTIONS ?? 8);
/** Pairs of (no kills, kills), alternated, so a change in the machine's load falls on both. */
const ROUNDS = Number(process.env.BENCH_BURST_ROUNDS ?? 1);
const CATCH_UP_TIMEOUT_MS = 900_000;

const loadAverage = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** The CPU by thread in µs per row event, busiest first: the last process's alone after kills. */
function byThread(run: BurstRun): string {
  if (run.threadCpu.size === 0) return '';
  const threads = [...run.threadCpu].sort((a, b) => b[1] - a[1]).map(([thread, seconds]) => `${thread} ${((seconds * 1e6) / run.burst.rowEvents).toFixed(0)}`);
  return `; by thread${run.kills.length ? ' (the last process since its start)' : ''}: ${threads.join(', ')}`;
}

export async function* catchUpBenches(server: LocalMysqlServer): AsyncGenerator<BenchResult> {
  const engines = { elasticsearchUrl: process.env.ELASTICSEARCH_URL, kafkaBrokers: process.env.KAFKA_BROKERS };
  const engineNames = [engines.kafkaBrokers ? 'Kafka' : 'embedded bus', engines.elasticsearchUrl ? 'Elasticsearch' : 'embedded search', 'chDB'].join(', ');
  const dir = mkdtempSync(join(tmpdir(), 'steveslist-catch-up-'));
  const running = new Set<RunningCli>();
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const kills of KILLS ? [0, KILLS] : [0]) {
        const label = `catch-up after a burst, ${kills ? `${kills} kill -9` : 'no kills'}${ROUNDS > 1 ? ` (round ${round + 1})` : ''}`;
        const database = `bench_catch_up_${round}_${kills}`;
        const url = server.url(database);
        await migrate(url);
        const pool = await createMysqlPool(url);
        try {
          await addBurstSellers(pool, 200, 26 + round);
          const loadBefore = loadAverage();
          const run = await runBurst({
            url, pool, database, dataDir: join(dir, database), seconds: SECONDS, kills, seed: 26 + round, connections: CONNECTIONS,
            cdcServerId: 4100 + round * 10 + (kills ? 1 : 0), catchUpTimeoutMs: CATCH_UP_TIMEOUT_MS, engines, mysqlPid: server.pid,
            track: (up) => running.add(up),
          });
          const { burst, caughtUp } = run;
          const loadAfter = loadAverage();
          const burstMs = burst.lastCommitAt - burst.startedAt;
          const faults = run.kills.length ? `; kill -9 at ${run.kills.map(describeKill).join(', ')} into the burst` : '';
          const failed = caughtUp.check.filter((row) => row.lost + row.phantom + row.stale > 0).map((row) => `${row.copy}: lost ${row.lost}, phantom ${row.phantom}, stale ${row.stale}`);
          const checked = failed.length ? `; CHECKER FOUND ${failed.join('; ')}` : caughtUp.check.length ? '; checker: 0 lost, 0 phantom, 0 stale' : '';
          yield measure(`${label}: MariaDB flat out, ${CONNECTIONS} connections (20-row inserts, updates, deletes)`, 'statement', burst.statements, burstMs,
            `${burst.rowEvents.toLocaleString('en-US')} row events (${Math.round((burst.rowEvents * 1000) / burstMs).toLocaleString('en-US')}/s); ${burst.inserts} inserts, ${burst.updates} updates, ${burst.deletes} deletes; MariaDB CPU ${run.mysqlCpuSeconds.toFixed(1)} s${faults}; engines: ${engineNames}; load average ${loadBefore} -> ${loadAfter}`);
          for (const [copy, at] of [['search', caughtUp.search], ['the warehouse', caughtUp.warehouse], ['every copy', caughtUp.search !== undefined && caughtUp.warehouse !== undefined ? Math.max(caughtUp.search, caughtUp.warehouse) : undefined]] as const) {
            if (at === undefined) {
              yield measure(`${label}: ${copy} equal to MySQL`, 'row event', 0, 1, `not equal within ${seconds(CATCH_UP_TIMEOUT_MS)} of the last write${checked}`);
              continue;
            }
            // The rate: row events from the burst's start until the copy equalled MySQL, end to end.
            const extra = copy === 'every copy'
              ? `; platform CPU ${run.platformCpuSeconds.toFixed(1)} s (${((run.platformCpuSeconds * 1e6) / burst.rowEvents).toFixed(0)} µs per row event${byThread(run)}); probe poll ${caughtUp.pollMs.toFixed(0)} ms${checked}`
              : '';
            yield measure(`${label}: last write to ${copy} equal`, 'row event', burst.rowEvents, at - burst.startedAt, `${seconds(at - burst.lastCommitAt)} after the last write${extra}`);
          }
          run.up.child.kill('SIGINT');
          await run.up.exited;
          await run.removeSearchIndex();
        } finally {
          for (const up of running) if (up.child.exitCode === null) up.child.kill('SIGKILL');
          running.clear();
          await pool.end();
        }
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
