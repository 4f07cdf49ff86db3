// Watches the marts' refreshes for the warehouse role: keeps each mart on MART_REFRESH_SECONDS,
// writes each refresh (when it began, what it took, the newest raw change it includes, a failure)
// to the refresh ledger that /admin/pipeline and /metrics read, logs a failed refresh once, and
// tells /health. The refreshes themselves are ClickHouse's (refreshable materialized views).
import { PlatformError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { RoleReporter } from '../core/role-health.js';
import type { ClickHouseClient } from './client.js';
import { ensureRefreshLedger, MARTS, MARTS_DATABASE, martTable, REFRESH_LEDGER, refreshSecondsOf, type MartDefinition } from './marts.js';
import { ident, RAW_DATABASE } from './raw-schema.js';

export class MartRefreshFailed extends PlatformError {
  readonly code = 'MART_REFRESH_FAILED';
  readonly retriable = true;
}

export interface MartKeeperOptions {
  client: ClickHouseClient;
  refreshSeconds: number;
  log: Logger;
  health?: RoleReporter;
  /** How often the refreshes are looked at; default a fifth of the refresh interval, 1-5 s. */
  pollMs?: number;
  marts?: Record<string, MartDefinition>;
}

interface RefreshState {
  mart: string;
  success_ms: number | null;
  duration_ms: number;
  attempt_ms: number | null;
  exception: string;
}

/** ClickHouse's exception text ends in a stack trace: the first line says what failed. */
const firstLine = (text: string) => text.split('\n')[0]!.replace(/,? Stack trace.*$/, '').trim();

/** UTC time as ClickHouse's JSON input reads it into DateTime and DateTime64 alike (it takes no fractional numbers). */
const clickhouseTime = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString().replace('T', ' ').replace('Z', ''));

export class MartKeeper {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  /** Per mart, the refresh last written to the ledger (`<success>/<attempt>`). */
  private readonly recorded = new Map<string, string>();
  private readonly marts: Record<string, MartDefinition>;
  private ledgerReady = false;

  constructor(private readonly options: MartKeeperOptions) {
    this.marts = options.marts ?? MARTS;
  }

  start(): void {
    const pollMs = this.options.pollMs ?? Math.min(5000, Math.max(1000, (this.options.refreshSeconds * 1000) / 5));
    // No overlapping looks: a tick still running when the next is due is not started again.
    const tick = () => {
      this.running ??= this.check().catch((error: unknown) => {
        this.options.log.warn({ error: (error as Error).message }, 'could not read the marts\' refreshes');
      }).finally(() => { this.running = undefined; });
    };
    tick();
    this.timer = setInterval(tick, pollMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One look: align the intervals, record new refreshes, report failures. */
  async check(): Promise<void> {
    const { client } = this.options;
    if (!this.ledgerReady) await ensureRefreshLedger(client);
    this.ledgerReady = true;
    await this.alignIntervals();
    const states = await this.readStates();
    const failing: string[] = [];
    for (const state of states) {
      const failed = state.exception !== '';
      // Times are whole seconds: a failure in the second of the last success still tells apart.
      const key = `${state.success_ms}/${state.attempt_ms}/${failed}`;
      if (failed) failing.push(`${state.mart}: ${firstLine(state.exception)}`);
      if (this.recorded.get(state.mart) === key) continue;
      if (failed) this.options.log.warn({ mart: state.mart, error: firstLine(state.exception) }, 'mart refresh failed; readers keep its last answer');
      await this.record(state);
      this.recorded.set(state.mart, key);
    }
    if (failing.length > 0) this.options.health?.failed(new MartRefreshFailed(`marts not refreshing (each keeps its last answer): ${failing.join('; ')}`));
    else this.options.health?.succeeded();
  }

  private async readStates(): Promise<RefreshState[]> {
    const result = await this.options.client.query({
      query: `SELECT view AS mart, toUnixTimestamp(last_success_time) * 1000 AS success_ms, last_success_duration_ms AS duration_ms,
                toUnixTimestamp(last_refresh_time) * 1000 AS attempt_ms, exception
              FROM system.view_refreshes WHERE database = {db:String}`,
      query_params: { db: MARTS_DATABASE }, format: 'JSONEachRow', clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
    });
    return (await result.json<RefreshState>()).filter((state) => state.mart in this.marts);
  }

  /** A mart made with another interval (by the loader, before this process read its settings) gets this one. */
  private async alignIntervals(): Promise<void> {
    const result = await this.options.client.query({
      query: 'SELECT name, create_table_query AS ddl FROM system.tables WHERE database = {db:String} AND engine = \'MaterializedView\'',
      query_params: { db: MARTS_DATABASE }, format: 'JSONEachRow',
    });
    for (const { name, ddl } of await result.json<{ name: string; ddl: string }>()) {
      if (!(name in this.marts)) continue;
      const every = refreshSecondsOf(ddl);
      if (every !== undefined && every !== this.options.refreshSeconds) {
        await this.options.client.command({ query: `ALTER TABLE ${martTable(name)} MODIFY REFRESH EVERY ${this.options.refreshSeconds} SECOND` });
        // The next refresh stays where the old interval put it: one now starts the new rhythm.
        await this.options.client.command({ query: `SYSTEM REFRESH VIEW ${martTable(name)}` });
      }
    }
  }

  /**
   * The newest raw change a refresh that began at `startedMs` includes. ClickHouse gives the start
   * to the second, and a row is stamped just before its insert commits: rows stamped a second
   * before the start had committed by then.
   */
  private async syncedThrough(mart: string, startedMs: number): Promise<number | null> {
    const sources = this.marts[mart]!.sources;
    const result = await this.options.client.query({
      query: `SELECT max(m) AS ms FROM (${sources.map((table) => `SELECT toUnixTimestamp64Milli(max(_synced_at)) AS m FROM ${RAW_DATABASE}.${ident(table)} WHERE _synced_at < fromUnixTimestamp64Milli({before:Int64})`).join(' UNION ALL ')}) WHERE m > 0`,
      query_params: { before: startedMs - 1000 }, format: 'JSONEachRow', clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
    });
    const ms = (await result.json<{ ms: number | null }>())[0]?.ms;
    return ms ? Number(ms) : null;
  }

  private async record(state: RefreshState): Promise<void> {
    const synced = state.success_ms === null ? null : await this.syncedThrough(state.mart, state.success_ms);
    await this.options.client.insert({
      table: REFRESH_LEDGER, format: 'JSONEachRow',
      values: [{
        mart: state.mart, refresh_seconds: this.options.refreshSeconds, refreshed_at: clickhouseTime(state.success_ms), duration_ms: state.duration_ms ?? 0,
        source_synced_through: clickhouseTime(synced), error: firstLine(state.exception),
        failed_at: state.exception ? clickhouseTime(state.attempt_ms) : null, recorded_at: clickhouseTime(Date.now()),
      }],
    });
  }
}
