// When a running platform's copies equal MySQL again, with MySQL quiet: polled every ~200 ms
// with cheap aggregates (rows, sum of ids, sum of prices), then confirmed by the checker once
// they agree. A copy's time is the end of the first poll that found it equal and that the
// checker then confirmed; the platform may be killed and restarted meanwhile.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Pool, RowDataPacket } from '../../marketplace/mysql/connection.js';
import { ElasticsearchSearch } from '../../pipelines/sinks/search/elasticsearch.js';
import { EmbeddedSearch } from '../../pipelines/sinks/search/embedded/index.js';
import type { SearchService } from '../../pipelines/sinks/search/port.js';
import { createWarehouseClient } from '../../warehouse/client.js';
import { readServedWarehouse } from '../../warehouse/http/served-warehouse.js';
import { RAW_DATABASE } from '../../warehouse/raw-schema.js';
import { checkCopies, type CheckRow } from './checker.js';

/** Aggregates of one set of listings; `undefined` fields are not known for that copy. */
interface Fingerprint {
  rows: number;
  ids?: string;
  prices?: string;
  users?: number;
}

export interface CaughtUpOptions {
  url: string;
  pool: Pool;
  database: string;
  /** The platform's DATA_DIR: its embedded index and served warehouse are found there. */
  dataDir: string;
  /** With Elasticsearch as the platform's search: its URL and alias. */
  elasticsearch?: { url: string; alias: string };
  history: ReadonlySet<string>;
  intervalMs?: number;
  timeoutMs: number;
}

export interface CaughtUp {
  /** Date.now() when each copy was found equal (undefined: not within the timeout). */
  search?: number;
  warehouse?: number;
  /** The checker's last table. */
  check: CheckRow[];
  polls: number;
  /** Mean time of one poll of both copies; the times above are within about twice this. */
  pollMs: number;
  /** What the last poll read of each copy and of MySQL, to say how far a copy that never caught up was. */
  last: { mysql: { search: Fingerprint; warehouse: Fingerprint }; search?: Fingerprint; warehouse?: Fingerprint };
}

const describeFingerprint = (print: Fingerprint | undefined) => (print === undefined ? 'unreadable'
  : `${print.rows} rows${print.ids === undefined ? '' : `, ids ${print.ids}`}${print.prices === undefined ? '' : `, prices ${print.prices}`}${print.users === undefined ? '' : `, ${print.users} users`}`);

/** "search: 85,000 rows ... against MySQL's ..." for each copy, as a failure message names them. */
export const describeLastPoll = (caughtUp: CaughtUp) => (['search', 'warehouse'] as const)
  .map((copy) => `${copy}: ${describeFingerprint(caughtUp.last[copy])} against MySQL's ${describeFingerprint(caughtUp.last.mysql[copy])}`).join('; ');

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const total = (value: unknown) => String(BigInt(String(value ?? 0).replace(/\..*$/, '')));
const same = (copy: Fingerprint | undefined, mysql: Fingerprint) =>
  copy !== undefined && copy.rows === mysql.rows
  && (copy.ids === undefined || copy.ids === mysql.ids) && (copy.prices === undefined || copy.prices === mysql.prices)
  && (copy.users === undefined || copy.users === mysql.users);

async function mysqlFingerprints(pool: Pool): Promise<{ search: Fingerprint; warehouse: Fingerprint }> {
  const [[all]] = await pool.query<RowDataPacket[]>('SELECT COUNT(*) AS n, SUM(id) AS ids, SUM(price_amount) AS prices, (SELECT COUNT(*) FROM users) AS users FROM listings');
  const [[active]] = await pool.query<RowDataPacket[]>("SELECT COUNT(*) AS n, SUM(id) AS ids, SUM(price_amount) AS prices FROM listings WHERE status = 'active'");
  return {
    warehouse: { rows: Number(all!.n), ids: total(all!.ids), prices: total(all!.prices), users: Number(all!.users) },
    search: { rows: Number(active!.n), ids: total(active!.ids), prices: total(active!.prices) },
  };
}

/**
 * The embedded index's aggregates, read from its SQLite file beside the platform (which shares
 * it by design): the search port has no aggregate to ask, and scanning every document through
 * it would take seconds per poll.
 */
class EmbeddedFingerprint {
  private db: Database.Database | undefined;
  private path = '';

  constructor(private readonly dir: string, private readonly alias = 'listings') {}

  read(): Fingerprint | undefined {
    const catalog = join(this.dir, `${this.alias}.catalog.json`);
    if (!existsSync(catalog)) return undefined;
    const path = join(this.dir, `${(JSON.parse(readFileSync(catalog, 'utf8')) as { serving: string }).serving}.sqlite`);
    if (path !== this.path) {
      this.db?.close();
      this.db = undefined;
      this.path = '';
      if (!existsSync(path)) return undefined;
      this.db = new Database(path, { fileMustExist: true });
      this.path = path;
    }
    const row = this.db!.prepare('SELECT COUNT(*) AS n, SUM(id) AS ids, SUM(price_amount) AS prices FROM docs WHERE deleted = 0').get() as { n: number; ids: number | null; prices: number | null };
    return { rows: row.n, ids: total(row.ids), prices: total(row.prices) };
  }

  close(): void {
    this.db?.close();
  }
}

/** The served warehouse of whichever platform process runs now (a killed one's is gone). */
class ServedWarehouse {
  private client: ClickHouseClient | undefined;
  private key = '';

  constructor(private readonly dir: string) {}

  current(): ClickHouseClient | undefined {
    const served = readServedWarehouse(this.dir);
    if (!served) return undefined;
    const key = `${served.url} ${served.loader.password}`;
    if (key !== this.key) {
      void this.client?.close();
      this.client = createWarehouseClient({ url: served.url, path: this.dir, username: served.loader.user, password: served.loader.password });
      this.key = key;
    }
    return this.client;
  }

  async read(): Promise<Fingerprint | undefined> {
    const client = this.current();
    if (!client) return undefined;
    try {
      const query = `SELECT count() AS n, sum(id) AS ids, sum(price_amount) AS prices, (SELECT count() FROM ${RAW_DATABASE}.users FINAL WHERE _is_deleted = 0) AS users
        FROM ${RAW_DATABASE}.listings FINAL WHERE _is_deleted = 0`;
      const [row] = await (await client.query({ query, format: 'JSONEachRow' })).json<Record<string, unknown>>();
      return { rows: Number(row!.n), ids: total(row!.ids), prices: total(row!.prices), users: Number(row!.users) };
    } catch {
      // Tables not made yet, or the process serving them was just killed: not equal yet.
      return undefined;
    }
  }

  async close(): Promise<void> {
    await this.client?.close();
  }
}

async function elasticsearchRows(elasticsearch: ElasticsearchSearch): Promise<Fingerprint | undefined> {
  try {
    return { rows: await (await elasticsearch.serving()).count() };
  } catch {
    // No index serving yet (the platform makes it at its first start): not equal yet.
    return undefined;
  }
}

export async function waitUntilCaughtUp(options: CaughtUpOptions): Promise<CaughtUp> {
  const mysql = await mysqlFingerprints(options.pool);
  const embedded = options.elasticsearch ? undefined : new EmbeddedFingerprint(join(options.dataDir, 'search'));
  const elasticsearch = options.elasticsearch ? await ElasticsearchSearch.connect(options.elasticsearch) : undefined;
  const warehouse = new ServedWarehouse(join(options.dataDir, 'warehouse'));
  const result: CaughtUp = { check: [], polls: 0, pollMs: 0, last: { mysql } };
  const deadline = Date.now() + options.timeoutMs;
  let polling = 0;
  try {
    while (Date.now() < deadline) {
      const began = Date.now();
      if (result.search === undefined) {
        // Elasticsearch: the count only (an aggregation would need the index's mapping); the checker confirms the rest.
        const found = embedded ? embedded.read() : await elasticsearchRows(elasticsearch!);
        result.last.search = found;
        if (same(found, mysql.search)) result.search = Date.now();
      }
      if (result.warehouse === undefined) {
        const found = await warehouse.read();
        result.last.warehouse = found;
        if (same(found, mysql.warehouse)) result.warehouse = Date.now();
      }
      result.polls++;
      polling += Date.now() - began;
      if (result.search !== undefined && result.warehouse !== undefined) {
        const client = warehouse.current();
        if (client) {
          const search: SearchService = elasticsearch ?? new EmbeddedSearch(join(options.dataDir, 'search'));
          try {
            result.check = await checkCopies({ url: options.url, pool: options.pool, database: options.database, search, warehouse: client, history: options.history, endpoints: [] });
          } finally {
            if (!elasticsearch) await search.close();
          }
          const differs = (prefix: string) => result.check.some((row) => row.copy.startsWith(prefix) && row.lost + row.phantom + row.stale > 0);
          // Aggregates can agree by chance while rows differ: poll on for the copy the checker faults.
          if (differs('search')) result.search = undefined;
          if (differs('warehouse')) result.warehouse = undefined;
          if (result.search !== undefined && result.warehouse !== undefined) break;
        }
      }
      // The warehouse's half runs in the platform (FINAL over the table): resting at least as long as
      // a poll took keeps the probe to half a core at most, so it does not slow what it measures.
      const took = Date.now() - began;
      await sleep(Math.max((options.intervalMs ?? 200) - took, took));
    }
  } finally {
    embedded?.close();
    await elasticsearch?.close();
    await warehouse.close();
  }
  result.pollMs = result.polls ? polling / result.polls : 0;
  return result;
}
