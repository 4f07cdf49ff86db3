// The fault harness: the platform (`steveslist up` against a MariaDB of the test's own) runs as a
// child process while `steveslist simulate` writes, and faults are injected at seeded random
// moments: kill -9 of the whole platform (change capture, search indexer, warehouse loader,
// webhook and email workers at once), a restart of MariaDB, a search service that stalls (an
// Elasticsearch behind a proxy that holds every byte for a while; with the embedded index there
// is no server to stall), and a webhook receiver that never answers. When the writes are done
// and the platform has caught up, the checker compares MySQL with every copy: nothing lost,
// nothing phantom, nothing stale. `npm run test:chaos` runs the long version.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openTestBus, replicaId } from '../fixtures/cdc.js';
import { runCli, startCli, type RunningCli } from '../fixtures/run-cli.js';
import { tempDir } from '../fixtures/temp-dir.js';
import { generateWebhookSecret } from '../../core/webhook-signature.js';
import { silentLogger } from '../../core/log.js';
import { createMysqlPool, type Pool, type RowDataPacket } from '../../marketplace/mysql/connection.js';
import { LocalMysqlServer } from '../../marketplace/mysql/local-server.js';
import { Random } from '../../marketplace/sample-data/random.js';
import { seed } from '../../marketplace/sample-data/seed.js';
import { migrate } from '../../marketplace/schema/migrate.js';
import { ElasticsearchSearch } from '../../pipelines/sinks/search/elasticsearch.js';
import { EmbeddedSearch } from '../../pipelines/sinks/search/embedded/index.js';
import type { SearchService } from '../../pipelines/sinks/search/port.js';
import { recipients } from '../../pipelines/sinks/webhooks/webhook-worker.js';
import { createWarehouseClient } from '../../warehouse/client.js';
import { checkCopies, formatCheck } from './checker.js';
import { StallingProxy } from './stalling-proxy.js';

const dir = tempDir();
const KILLS = Number(process.env.CHAOS_KILLS ?? 5);
const WRITES = Number(process.env.CHAOS_WRITES ?? 10_000);
const SEED = Number(process.env.CHAOS_SEED ?? 2024);
const RATE = 400;
const STALL_MS = 8_000;
const elasticsearch = process.env.ELASTICSEARCH_URL;
if (!elasticsearch) console.log('platform faults: the stalled-search fault needs Elasticsearch (npm run engines:start, then ELASTICSEARCH_URL=http://127.0.0.1:19200); the embedded index has no server to stall');

const quiet = () => ({ update() {}, finish() {} });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A webhook receiver: records the event ids delivered to each /ok/<name>; requests to /hang get no
 * answer until `refuseHanging()`, after which they get a 503 at once (so the platform can go quiet:
 * its deliveries there then wait minutes for their next attempt).
 */
async function startReceiver(): Promise<{ server: Server; base: string; received: Map<string, Set<string>>; refuseHanging(): void }> {
  const received = new Map<string, Set<string>>();
  const held: import('node:http').ServerResponse[] = [];
  let hanging = true;
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      if (request.url === '/hang') {
        if (hanging) held.push(response);
        else response.writeHead(503).end();
        return;
      }
      const path = request.url ?? '';
      if (!received.has(path)) received.set(path, new Set());
      received.get(path)!.add(String(request.headers['webhook-id']).replace(/^msg_/, ''));
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const refuseHanging = () => {
    hanging = false;
    for (const response of held.splice(0)) response.writeHead(503).end();
  };
  return { server, base: `http://127.0.0.1:${(server.address() as { port: number }).port}`, received, refuseHanging };
}

/** Stops whatever a failed run left behind: the platform, the simulator, the servers. */
const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await Promise.resolve().then(cleanup).catch(() => undefined);
  dir.remove();
});

describe('the platform under faults', () => {
  it(`loses nothing through ${KILLS} kill -9, a MariaDB restart, a stalled search service and a hanging webhook receiver during ${WRITES} writes`, async () => {
    const rng = new Random(SEED);
    const log = silentLogger();
    let server = await LocalMysqlServer.open({ dataDir: join(dir.path, 'mysql'), log });
    cleanups.push(() => server.stop());
    const port = server.port;
    const url = server.url();
    await migrate(url);
    let pool: Pool = await createMysqlPool(url);
    await seed(pool, { users: 30, listings: 300, seed: SEED, progress: quiet });

    // Three owners with a receiver that answers; the first also has one that hangs.
    const receiver = await startReceiver();
    const [owners] = await pool.query<RowDataPacket[]>('SELECT id FROM users ORDER BY id LIMIT 3');
    const endpoints: { id: number; userId: number; path: string }[] = [];
    const addEndpoint = async (userId: number, path: string) => {
      const [result] = await pool.query<{ insertId: number } & RowDataPacket[]>(
        'INSERT INTO webhook_endpoints (user_id, url, event_types, secret) VALUES (?, ?, ?, ?)', [userId, `${receiver.base}${path}`, '[]', generateWebhookSecret()],
      );
      return { id: result.insertId, userId, path };
    };
    for (const owner of owners) endpoints.push(await addEndpoint(Number(owner.id), `/ok/${owner.id}`));
    const hanging = await addEndpoint(Number(owners[0]!.id), '/hang');
    // Events written before change capture starts are history: its snapshot leaves the outbox out.
    const [before] = await pool.query<RowDataPacket[]>('SELECT id FROM outbox');
    const history = new Set(before.map((row) => String(row.id)));

    const proxy = elasticsearch ? await StallingProxy.start(new URL(elasticsearch)) : undefined;
    const alias = `faults-${randomBytes(4).toString('hex')}`;
    const dataDir = join(dir.path, 'platform');
    const env = {
      MYSQL_URL: url, DATA_DIR: dataDir, PORT: '0', ADMIN_PORT: '0', CDC_SERVER_ID: String(replicaId()), LOG_LEVEL: 'info', BUS_FSYNC: 'never',
      WEBHOOKS_ALLOW_PRIVATE: 'true', STARTUP_WAIT_SECONDS: '60', WAREHOUSE_HTTP_PORT: '0',
      ...(proxy ? { ELASTICSEARCH_URL: proxy.url, SEARCH_INDEX: alias } : {}),
    };
    const start = async () => {
      const up = startCli(['up'], env);
      cleanups.push(() => up.child.kill('SIGKILL'));
      await up.waitFor(/steveslist is up/, 120_000);
      return up;
    };

    // The faults in a seeded order, one in each slot of the simulation's first 85%, at a seeded
    // moment within its slot (later if the fault before it took long: they run one at a time).
    const durationMs = (WRITES / RATE) * 1000;
    const kinds = [
      ...Array.from({ length: KILLS }, () => 'kill -9 of up' as const),
      'MariaDB restart' as const,
      ...(proxy ? ['search stalled' as const] : []),
    ];
    for (let i = kinds.length - 1; i > 0; i--) {
      const j = rng.int(0, i);
      [kinds[i], kinds[j]] = [kinds[j]!, kinds[i]!];
    }
    const slotMs = (durationMs * 0.85) / kinds.length;
    const faults = kinds.map((kind, i) => ({ kind, at: Math.round((i + 0.1 + rng.next() * 0.8) * slotMs) }));
    const injected: string[] = [];

    let up: RunningCli = await start();
    const simulate = startCli(['simulate', '--rate', `${RATE}/s`, '--duration', `${durationMs / 1000}s`, '--concurrency', '8', '--seed', String(SEED)], { ...env, LOG_LEVEL: 'warn' });
    cleanups.push(() => simulate.child.kill('SIGKILL'));
    // Faults begin once the writes do (a simulator that cannot connect at all is no test).
    await simulate.waitFor(/simulate: /, 60_000);
    // Analysts and staff use the warehouse all along: a query every few seconds through
    // `steveslist sql`, and a dashboard build. Neither may cost the loader a row (the checker says).
    const analysts = { answered: 0, refused: [] as string[], dashboards: undefined as number | null | undefined };
    let analysing = true;
    const analystLoop = (async () => {
      while (analysing) {
        const asked = await runCli(['sql', 'SELECT count() AS n, uniqExact(id) AS ids FROM raw.listings', '--format', 'csv'], { ...env, LOG_LEVEL: 'warn' });
        if (asked.code === 0) analysts.answered += 1;
        else analysts.refused.push(asked.stderr.trim().split('\n')[0]!);
        await sleep(2000);
      }
    })();
    const dashboards = runCli(['jobs', 'run', 'reports.refresh-dashboards'], { ...env, LOG_LEVEL: 'warn' }).then((r) => { analysts.dashboards = r.code; });
    const startedAt = Date.now();
    for (const fault of faults) {
      await sleep(fault.at - (Date.now() - startedAt));
      injected.push(`${fault.kind} at ${((Date.now() - startedAt) / 1000).toFixed(1)} s${simulate.child.exitCode === null ? '' : ' (writes over)'}`);
      if (fault.kind === 'kill -9 of up') {
        up.child.kill('SIGKILL');
        await up.exited;
        up = await start();
      } else if (fault.kind === 'MariaDB restart') {
        await pool.end();
        await server.stop();
        await sleep(1000);
        server = await LocalMysqlServer.open({ dataDir: join(dir.path, 'mysql'), port, log });
        pool = await createMysqlPool(url);
      } else {
        // Alongside the faults after it: a stalled node is no reason for the others to wait.
        proxy!.stall();
        const stalled = sleep(STALL_MS).then(() => proxy!.resume());
        cleanups.push(() => stalled);
      }
    }
    const simulated = await simulate.exited;
    analysing = false;
    await Promise.all([analystLoop, dashboards]);
    process.stdout.write(`analysts: ${analysts.answered} queries answered, ${analysts.refused.length} refused while the platform was killed or restarting${analysts.refused.length ? ` (${[...new Set(analysts.refused)].slice(0, 3).join(' | ')})` : ''}; dashboard build exit ${analysts.dashboards}\n`);
    expect(analysts.answered).toBeGreaterThan(0);
    receiver.refuseHanging();
    expect(simulated, simulate.output()).toBe(0);
    // Errors only, without the shutdown's own noise: what made it stop.
    const errors = () => up.output().split('\n').filter((line) => /"level":(50|60)/.test(line) && !line.includes('"type":"Stopping"')).join('\n').slice(-4000);
    expect(up.child.exitCode, `up stopped by itself:\n${errors()}\n${up.output().slice(-500)}`).toBeNull();

    // Caught up: the server quiet and change capture at its position, every delivery to a
    // receiver that answers made, every email final, and, once stopped, nothing left in any group.
    const statePath = join(dataDir, 'cdc', 'reader-state.json');
    const capturedSeq = () => (existsSync(statePath) ? Number(String(JSON.parse(readFileSync(statePath, 'utf8')).gtid ?? '').split('-')[2] ?? 0) : 0);
    const serverSeq = async () => Number(String((await pool.query<RowDataPacket[]>('SELECT @@gtid_binlog_pos AS g'))[0][0]!.g).split('-')[2]);
    const unsettled = async () => {
      const [[row]] = await pool.query<RowDataPacket[]>(
        `SELECT (SELECT COUNT(*) FROM webhook_deliveries WHERE endpoint_id IN (?) AND status <> 'succeeded')
              + (SELECT COUNT(*) FROM webhook_deliveries WHERE endpoint_id = ? AND status = 'sending')
              + (SELECT COUNT(*) FROM email_messages WHERE status NOT IN ('sent', 'dead')) AS n`, [endpoints.map((e) => e.id), hanging.id],
      );
      return Number(row!.n);
    };
    let previouslyLeft = Number.POSITIVE_INFINITY;
    for (let round = 0; ; round++) {
      // Deliveries a killed process held come back when their lease (60 s) runs out.
      const deadline = Date.now() + 150_000;
      for (let last = -1; Date.now() < deadline; await sleep(1500)) {
        const now = await serverSeq();
        if (now === last && capturedSeq() >= now && (await unsettled()) === 0) break;
        last = now;
      }
      up.child.kill('SIGINT');
      expect(await up.exited, up.output().slice(-3000)).toBe(0);
      const bus = await openTestBus(join(dataDir, 'bus'));
      const lags = (await Promise.all(['search-indexer', 'warehouse-loader', 'email', 'webhooks'].map(async (group) => (await bus.lag(group)).map((l) => ({ group, ...l }))))).flat();
      const behind = lags.reduce((sum, l) => sum + l.lag, 0);
      await bus.close();
      if (behind === 0 && capturedSeq() >= (await serverSeq()) && (await unsettled()) === 0) break;
      const [waiting] = await pool.query<RowDataPacket[]>(
        `SELECT 'webhook' AS kind, status, COUNT(*) AS n, MIN(next_attempt_at) AS next FROM webhook_deliveries WHERE endpoint_id IN (?) AND status <> 'succeeded' GROUP BY status
         UNION ALL SELECT 'email', status, COUNT(*), MIN(next_attempt_at) FROM email_messages WHERE status NOT IN ('sent', 'dead') GROUP BY status`, [endpoints.map((e) => e.id)],
      );
      const lagging = lags.filter((l) => l.lag > 0).map((l) => `${l.group} ${l.topic}/${l.partition}: ${l.lag}`);
      process.stdout.write(`not caught up (round ${round}): ${behind} behind on the bus (${lagging.join(', ')}), captured ${capturedSeq()} of ${await serverSeq()}, waiting ${JSON.stringify(waiting)}\n`);
      // A long run leaves a backlog (tens of thousands of emails): more rounds while it shrinks.
      const left = behind + (await unsettled());
      expect(round < 3 || left < previouslyLeft, `the platform did not catch up (${left} left after round ${round})`).toBe(true);
      expect(round, 'the platform did not catch up').toBeLessThan(12);
      previouslyLeft = left;
      up = await start();
    }

    const search: SearchService = proxy ? await ElasticsearchSearch.connect({ url: elasticsearch!, alias }) : new EmbeddedSearch(join(dataDir, 'search'));
    const warehouse = createWarehouseClient({ path: join(dataDir, 'warehouse') });
    try {
      const rows = await checkCopies({
        url, pool, database: 'steveslist', search, warehouse, history,
        endpoints: endpoints.map((endpoint) => ({ ...endpoint, received: receiver.received.get(endpoint.path) ?? new Set() })),
      });
      process.stdout.write(formatCheck(`checker after ${injected.join(', ')} (seed ${SEED}, ${WRITES} writes):`, rows));
      expect(rows.filter((row) => row.lost + row.phantom + row.stale > 0)).toEqual([]);
      expect(rows.find((row) => row.copy === 'search: listings')!.checked).toBeGreaterThan(300);

      // The receiver that never answered holds a delivery of every event for its owner, none made.
      const [outbox] = await pool.query<RowDataPacket[]>('SELECT id, type, aggregate_type, aggregate_id, payload FROM outbox');
      const due = outbox.filter((row) => !history.has(String(row.id)) && recipients({ ...row, payload: typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload } as never).includes(hanging.userId));
      const [held] = await pool.query<RowDataPacket[]>('SELECT event_id, status FROM webhook_deliveries WHERE endpoint_id = ?', [hanging.id]);
      expect(new Set(held.map((row) => String(row.event_id)))).toEqual(new Set(due.map((row) => String(row.id))));
      expect(held.filter((row) => row.status === 'succeeded')).toEqual([]);
    } finally {
      if (proxy) await (search as ElasticsearchSearch).destroy().catch(() => undefined);
      await search.close();
      await warehouse.close();
      await proxy?.close();
      receiver.server.closeAllConnections();
      receiver.server.close();
      await pool.end();
      await server.stop();
    }
  }, Math.max(1_200_000, WRITES * 30));
});
