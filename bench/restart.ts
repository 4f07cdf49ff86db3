// A restart, as an operator's kill -9 or a crash has it: how long `steveslist up` takes to serve
// again, and until a write made right after the restart is found in search (capture streaming
// again, the bus, the indexer). The same cycle runs the bundle `npm install` builds and the
// TypeScript sources through tsx, in one run, so the two compare on the same load. The first kill
// comes once the first start's snapshot is finished: a restart in the middle of a snapshot
// resumes it, which is a snapshot's time, not a restart's.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUNDLE_DIR, buildServer } from '../bin/build-server.js';
import { freshBundle } from '../bin/fresh-bundle.js';
import { pathToFileURL } from 'node:url';
import { freePort } from '../core/ports.js';
import { createMysqlPool } from '../marketplace/mysql/connection.js';
import type { LocalMysqlServer } from '../marketplace/mysql/local-server.js';
import { migrate } from '../marketplace/schema/migrate.js';
import { directListings } from '../test/fixtures/direct-listings.js';
import { startCli, type RunningCli } from '../test/fixtures/run-cli.js';
import { percentile } from './observe.js';
import { measure, type BenchResult } from './table.js';

const RESTARTS = Number(process.env.BENCH_RESTARTS ?? 10);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function answers(base: string): Promise<boolean> {
  const response = await fetch(`${base}/health`).catch(() => undefined);
  await response?.body?.cancel();
  return response?.ok === true;
}

/** CPU ms a process has used (all its threads), or NaN where /proc is not there. */
function cpuMsOf(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return NaN;
  }
}

const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

/** The startup steps `up` reports in its "is up" line, and in a later one when streaming came after (ms since its process started). */
function startupOf(output: string): Record<string, number | string> {
  const lines = output.split('\n');
  const start = lines.findLastIndex((l) => l.includes('steveslist is up'));
  if (start < 0) return {};
  const steps = (line: string) => (JSON.parse(line) as { startup?: Record<string, number | string> }).startup ?? {};
  const streaming = lines.slice(start).find((l) => l.includes('"change capture streaming"'));
  return { ...steps(lines[start]!), ...(streaming ? steps(streaming) : {}) };
}

const spread = (sorted: number[]) => `p50 ${percentile(sorted, 0.5)} ms, p99 ${percentile(sorted, 0.99)} ms, max ${sorted[sorted.length - 1]} ms`;

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
      await up.waitFor(/snapshot finished; streaming/, 300_000);
      await up.waitFor(/steveslist is up/, 120_000);
      const serving: number[] = [];
      const isUp: number[] = [];
      const streaming: number[] = [];
      const cpu: number[] = [];
      const steps = new Map<string, number[]>();
      for (let i = 0; i < RESTARTS; i++) {
        // Others may edit the sources meanwhile, which sends the command back to them: built again first.
        if (from === 'bundle' && !freshBundle(pathToFileURL(`${BUNDLE_DIR}/`))) await buildServer();
        up.child.kill('SIGKILL');
        await up.exited;
        const started = Date.now();
        up = startCli(['up'], env);
        // Serving: the public server's first answer, polled while the rest starts.
        const running = up;
        const answered = (async () => {
          while (!(await answers(base))) {
            if (running.child.exitCode !== null) return NaN;
            await sleep(10);
          }
          return Date.now() - started;
        })();
        await up.waitFor(/steveslist is up/, 120_000);
        isUp.push(Date.now() - started);
        const word = `restart${randomBytes(4).toString('hex')}`;
        await listings.add(`Bench ${word}`);
        while (!(await found(base, word))) {
          if (Date.now() - started > 60_000) throw new Error(`a listing written after restart ${i + 1} (${from}) was not found in a minute`);
          await sleep(10);
        }
        streaming.push(Date.now() - started);
        cpu.push(cpuMsOf(up.child.pid));
        serving.push(await answered);
        const startup = startupOf(up.output());
        if (startup.from !== from) throw new Error(`restart ${i + 1} ran from ${startup.from}, not the ${from}: a source changed since the bundle was built`);
        for (const [step, ms] of Object.entries(startup)) if (typeof ms === 'number') steps.set(step, [...(steps.get(step) ?? []), ms]);
        process.stderr.write(`  restart ${i + 1} (${from}): serving ${serving.at(-1)} ms, up ${isUp.at(-1)} ms, new write found ${streaming.at(-1)} ms (process CPU ${cpu.at(-1)} ms); steps ${JSON.stringify(startup)}; load ${load()}\n`);
      }
      for (const list of [serving, isUp, streaming, cpu, ...steps.values()]) list.sort((a, b) => a - b);
      const total = streaming.reduce((sum, ms) => sum + ms, 0);
      const medians = [...steps].map(([step, list]) => `${step.replace(/Ms$/, '')} ${percentile(list, 0.5)}`).join(', ');
      yield measure(`restart (${from === 'bundle' ? 'bundle' : 'tsx sources'}): kill -9 to a new write found`, 'restart', RESTARTS, total,
        `${RESTARTS} restarts of up on an external MariaDB; public server answering ${spread(serving)}; "is up" ${spread(isUp)}; new write found in search ${spread(streaming)} (the process's CPU until then p50 ${percentile(cpu, 0.5)} ms); up's steps (ms since its process started, p50): ${medians}; load ${load()}`);
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
