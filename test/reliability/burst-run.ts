// "Catch-up after a burst", as the reliability harness and the bench both run it: `steveslist up`
// as a child process against a MariaDB, the burst writer flat out for a while, the platform killed
// with -9 at seeded moments (and started again at once) meanwhile, then the time from the last
// write's commit until each copy equals MySQL.
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Pool, RowDataPacket } from '../../marketplace/mysql/connection.js';
import { Random } from '../../marketplace/sample-data/random.js';
import { ElasticsearchSearch } from '../../pipelines/sinks/search/elasticsearch.js';
import { writeBurst, type BurstResult } from '../fixtures/burst-writer.js';
import { parsePrometheusText } from '../fixtures/prometheus-text.js';
import { startCli, type RunningCli } from '../fixtures/run-cli.js';
import { waitUntilCaughtUp, type CaughtUp } from './caught-up.js';

export interface BurstRunOptions {
  url: string;
  pool: Pool;
  database: string;
  dataDir: string;
  seconds: number;
  kills: number;
  seed: number;
  connections: number;
  /** A replication server id of the run's own. */
  cdcServerId: number;
  /** Scale-out engines to run on instead of the embedded ones (the platform's environment names them). */
  engines?: { elasticsearchUrl?: string; kafkaBrokers?: string };
  catchUpTimeoutMs: number;
  /** How often the probe looks (default ~200 ms). */
  probeIntervalMs?: number;
  /** MariaDB's server process, when it runs here: its CPU during the burst is reported. */
  mysqlPid?: number;
  /** Processes the caller must stop should the run fail (the platform, each time it starts). */
  track?: (up: RunningCli) => void;
}

export interface Kill {
  /** Seconds into the burst. */
  atSeconds: number;
  /** Killed before it said it was up (the kill before had restarted it and it was still starting). */
  whileStarting: boolean;
}

/** A kill as the reports print it: "12.3 s" or "12.3 s (while starting)". */
export const describeKill = (kill: Kill) => `${kill.atSeconds.toFixed(1)} s${kill.whileStarting ? ' (while starting)' : ''}`;

export interface BurstRun {
  burst: BurstResult;
  kills: Kill[];
  caughtUp: CaughtUp;
  /** CPU seconds the platform's processes used from the burst's start to the end of the catch-up. */
  platformCpuSeconds: number;
  /** CPU seconds MariaDB used during the burst (0 without `mysqlPid`). */
  mysqlCpuSeconds: number;
  /**
   * CPU seconds by thread (`steveslist_thread_cpu_seconds_total`): from the burst's start without
   * kills; with kills, the last process's since it started. Empty where /metrics had none.
   */
  threadCpu: Map<string, number>;
  /** The platform still running, for the caller to stop. */
  up: RunningCli;
  /** Deletes the run's Elasticsearch index (shared engines outlive the run); nothing on the embedded engines. */
  removeSearchIndex(): Promise<void>;
}

/** utime + stime of a live process, in seconds (Linux clock ticks are 1/100 s). */
export function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** A running platform's CPU by thread, from its /metrics (the admin address its "is up" line gave). */
async function threadCpuOf(up: RunningCli): Promise<Map<string, number>> {
  const admin = /"admin":"(http:[^"]+)"/.exec(up.output())?.[1];
  if (!admin) return new Map();
  try {
    const text = await (await fetch(`${admin}/metrics`, { headers: { connection: 'close' } })).text();
    const samples = parsePrometheusText(text).get('steveslist_thread_cpu_seconds_total')?.samples ?? [];
    return new Map(samples.map((sample) => [sample.labels.thread!, sample.value]));
  } catch {
    return new Map();
  }
}

export async function runBurst(options: BurstRunOptions): Promise<BurstRun> {
  const rng = new Random(options.seed);
  const prefix = `burst${randomBytes(3).toString('hex')}`;
  const env = {
    MYSQL_URL: options.url, DATA_DIR: options.dataDir, PORT: '0', ADMIN_PORT: '0', WAREHOUSE_HTTP_PORT: '0',
    CDC_SERVER_ID: String(options.cdcServerId), LOG_LEVEL: 'info', STARTUP_WAIT_SECONDS: '60',
    ...(options.engines?.elasticsearchUrl ? { ELASTICSEARCH_URL: options.engines.elasticsearchUrl, SEARCH_INDEX: prefix } : {}),
    ...(options.engines?.kafkaBrokers ? { KAFKA_BROKERS: options.engines.kafkaBrokers, TOPIC_PREFIX: prefix } : {}),
  };
  let cpuOfKilled = 0;
  let lastCpu = 0;
  const launch = () => {
    const up = startCli(['up'], env);
    options.track?.(up);
    return up;
  };
  const UP = /steveslist is up/;
  const [before] = await options.pool.query<RowDataPacket[]>('SELECT id FROM outbox');
  const history = new Set(before.map((row) => String(row.id)));

  let up = launch();
  await up.waitFor(UP, 180_000);
  // The CPU a process used dies with it: sampled often, so a kill loses at most the last interval.
  const sampler = setInterval(() => { lastCpu = cpuSeconds(up.child.pid); }, 100);
  try {
    const cpuAtStart = cpuSeconds(up.child.pid);
    const threadsAtStart = await threadCpuOf(up);
    const mysqlCpuAtStart = cpuSeconds(options.mysqlPid);
    const durationMs = options.seconds * 1000;
    // One kill in each slot of the burst's first 85%, at a seeded moment within it (the harness's
    // rule), and the platform started again at once. A kill falls when it is due, even on a
    // platform still starting (a restart here takes seconds, more on a loaded machine): the kills
    // stay within the burst, as an operator's or a crash loop's would.
    const slotMs = options.kills ? (durationMs * 0.85) / options.kills : 0;
    const moments = Array.from({ length: options.kills }, (_, i) => Math.round((i + 0.1 + rng.next() * 0.8) * slotMs));
    const burst = writeBurst({ url: options.url, connections: options.connections, durationMs, seed: options.seed });
    // Awaited below, after the kills: a failure meanwhile must not count as unhandled.
    burst.catch(() => undefined);
    const startedAt = Date.now();
    const kills: Kill[] = [];
    for (const at of moments) {
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, at - (Date.now() - startedAt))));
      kills.push({ atSeconds: (Date.now() - startedAt) / 1000, whileStarting: !UP.test(up.output()) });
      const cpu = cpuSeconds(up.child.pid);
      up.child.kill('SIGKILL');
      await up.exited;
      cpuOfKilled += Math.max(cpu, lastCpu);
      lastCpu = 0;
      up = launch();
    }
    const written = await burst;
    const mysqlCpuSeconds = cpuSeconds(options.mysqlPid) - mysqlCpuAtStart;
    // Rejects should the last start fail; the copies cannot equal MySQL before it serves anyway.
    await up.waitFor(UP, 180_000);
    const caughtUp = await waitUntilCaughtUp({
      url: options.url, pool: options.pool, database: options.database, dataDir: options.dataDir, history, timeoutMs: options.catchUpTimeoutMs, intervalMs: options.probeIntervalMs,
      elasticsearch: options.engines?.elasticsearchUrl ? { url: options.engines.elasticsearchUrl, alias: prefix } : undefined,
    });
    const platformCpuSeconds = cpuOfKilled + cpuSeconds(up.child.pid) - cpuAtStart;
    const threadCpu = await threadCpuOf(up);
    if (kills.length === 0) for (const [thread, seconds] of threadCpu) threadCpu.set(thread, seconds - (threadsAtStart.get(thread) ?? 0));
    const removeSearchIndex = async () => {
      if (!options.engines?.elasticsearchUrl) return;
      const search = await ElasticsearchSearch.connect({ url: options.engines.elasticsearchUrl, alias: prefix });
      await search.destroy().finally(() => search.close());
    };
    return { burst: written, kills, caughtUp, platformCpuSeconds, mysqlCpuSeconds, threadCpu, up, removeSearchIndex };
  } finally {
    clearInterval(sampler);
  }
}

/**
 * What a failure message needs to say why a copy never caught up: the platform's `/health` (read
 * from the URL its last "is up" line names) and its last warnings and errors.
 */
export async function describePlatform(up: RunningCli): Promise<string> {
  const lines = up.output().split('\n');
  const upLine = lines.filter((line) => line.includes('steveslist is up')).pop();
  let health = 'no "is up" line';
  if (upLine) {
    try {
      const url = (JSON.parse(upLine) as { health?: string }).health;
      health = url ? await (await fetch(url, { signal: AbortSignal.timeout(5000) })).text() : 'no health URL in the "is up" line';
    } catch (error) {
      health = `unreadable (${(error as Error).message})`;
    }
  }
  const troubles = lines.filter((line) => /"level":(40|50|60)\b|"level":"(warn|error|fatal)"/.test(line)).slice(-30);
  return `health: ${health}\nlast warnings and errors:\n${troubles.join('\n') || '(none)'}`;
}
