// What the admin service reports about the pipeline: where change capture is and how far behind
// its source, each consumer group's lag, the dead letters waiting per group, and the health of the
// roles running in this process (which is failing, why, since when).
import type { RoleStatus } from '../../core/role-health.js';
import type { Pool, RowDataPacket } from '../../marketplace/mysql/connection.js';
import type { Bus } from '../bus/port.js';
import type { CdcStats } from '../cdc/reader.js';
import type { ReaderState, StateStore } from '../cdc/reader-state.js';
import { incrementalStats } from '../cdc/snapshot-windows.js';
import { bytesBehind, transactionsBehind, type BinlogFile } from './binlog-lag.js';
import { DeadLetterCounter, type DeadLetterCount } from './dead-letter-counts.js';

export interface PipelineSources {
  bus: Bus;
  topicPrefix: string;
  /** Consumer groups whose lag is reported. */
  groups: readonly string[];
  /** The change-capture reader running in this process. */
  cdc?: { stats(): CdcStats };
  /** Where a reader running in another process saves its position; read when `cdc` is absent. */
  cdcState?: StateStore;
  /** The roles supervised in this process (`up`): their health, failures and dead letters. */
  roles?: () => RoleStatus[];
  /** Each mart's last refresh, read from the warehouse (wherever its owner runs). */
  marts?: () => Promise<MartStatus[]>;
}

/** A warehouse mart's freshness: what its last refresh included and how old that is. */
export interface MartStatus {
  mart: string;
  /** When the last successful refresh began (ISO time); null before the first. */
  refreshed_at: string | null;
  /** Seconds since then; null before the first refresh. */
  age_seconds: number | null;
  /** The newest raw change (its `_synced_at`) the mart is known to include; null when its sources were empty. */
  source_synced_through: string | null;
  refresh_seconds: number | null;
  duration_ms: number | null;
  /** The last refresh's error while it is failing (readers keep the last good answer). */
  error?: string;
  failed_at?: string;
}

export interface CdcStatus {
  /** Whether the reader runs in this process (live figures) or only its saved position is known. */
  running_here: boolean;
  phase: CdcStats['phase'] | null;
  position: { file: string; pos: number; gtid: string | null } | null;
  source_position: { file: string; pos: number; gtid: string | null } | null;
  lag: {
    /** Binlog bytes not read yet (a rotation leaves a few header bytes even when caught up). */
    bytes: number | null;
    /** Transactions not published yet (MariaDB GTIDs; null elsewhere). */
    transactions: number | null;
    caught_up: boolean | null;
    /** Like a replica's Seconds_Behind_Master: 0 when caught up, else the age of the newest published commit. */
    seconds: number | null;
  };
  changes_published: number | null;
  transactions_published: number | null;
  snapshot_rows: number | null;
  last_commit_at: string | null;
  /** The last signalled (incremental) snapshot: the table it reads, tables done of all, rows, paused. */
  incremental_snapshot: { table: string | null; tables_done: number; tables: number; rows: number; paused: boolean } | null;
  /** Why the source position could not be read (e.g. the user lacks BINLOG MONITOR). */
  source_error?: string;
}

export interface GroupStatus {
  group: string;
  lag: number;
  partitions: { topic: string; partition: number; committed: number; high_watermark: number; lag: number }[];
}

export interface PipelineStatus {
  bus: Bus['kind'];
  cdc: CdcStatus | null;
  consumer_groups: GroupStatus[];
  dead_letters: DeadLetterCount[];
  /** Empty where no role runs under a supervisor in this process. */
  roles: RoleStatus[];
  /** Empty when not asked for; `marts_error` says why they could not be read. */
  marts: MartStatus[];
  marts_error?: string;
}

async function sourcePosition(source: Pool): Promise<{ files: BinlogFile[]; gtid: string | null }> {
  const [logs] = await source.query<RowDataPacket[]>('SHOW BINARY LOGS');
  const files = logs.map((row) => ({ name: String(row.Log_name), size: Number(row.File_size) }));
  // @@gtid_binlog_pos is MariaDB's; MySQL has none of that form, and then transactions stay unknown.
  const gtid = await source.query<RowDataPacket[]>('SELECT @@gtid_binlog_pos AS gtid')
    .then(([[row]]) => (row?.gtid == null ? null : String(row.gtid)), () => null);
  return { files, gtid };
}

function incrementalStatus(stats: CdcStats | undefined, saved: ReaderState | undefined): CdcStatus['incremental_snapshot'] {
  const figures = stats ? stats.incrementalSnapshot : incrementalStats(saved?.incremental);
  return figures ? { table: figures.table ?? null, tables_done: figures.tablesDone, tables: figures.tables, rows: figures.rows, paused: figures.paused } : null;
}

async function cdcStatus(sources: PipelineSources, source: Pool, nowMs: number): Promise<CdcStatus | null> {
  const stats = sources.cdc?.stats();
  const saved = stats ? undefined : await sources.cdcState?.load();
  if (!stats && !saved) return null;
  const position = stats ? stats.position ?? null : { file: saved!.file, pos: saved!.pos, gtid: saved!.gtid };
  const status: CdcStatus = {
    running_here: stats !== undefined,
    phase: stats?.phase ?? null,
    position,
    source_position: null,
    lag: { bytes: null, transactions: null, caught_up: null, seconds: null },
    changes_published: stats?.changesPublished ?? null,
    transactions_published: stats?.transactions ?? null,
    snapshot_rows: stats?.snapshotRows ?? null,
    last_commit_at: stats?.lastCommitMs === undefined ? null : new Date(stats.lastCommitMs).toISOString(),
    incremental_snapshot: incrementalStatus(stats, saved),
  };
  try {
    const { files, gtid } = await sourcePosition(source);
    const newest = files[files.length - 1];
    status.source_position = newest ? { file: newest.name, pos: newest.size, gtid } : null;
    if (position) {
      const bytes = bytesBehind(files, position);
      const transactions = gtid && position.gtid ? transactionsBehind(gtid, position.gtid) : undefined;
      const caughtUp = transactions !== undefined ? transactions === 0 : bytes !== undefined ? bytes === 0 : undefined;
      status.lag = {
        bytes: bytes ?? null,
        transactions: transactions ?? null,
        caught_up: caughtUp ?? null,
        seconds: caughtUp ? 0 : stats?.lastCommitMs !== undefined ? Math.max(0, (nowMs - stats.lastCommitMs) / 1000) : null,
      };
    }
  } catch (error) {
    status.source_error = (error as Error).message;
  }
  return status;
}

async function groupStatus(bus: Bus, group: string): Promise<GroupStatus> {
  const partitions = (await bus.lag(group))
    .map((p) => ({ topic: p.topic, partition: p.partition, committed: p.committed, high_watermark: p.highWatermark, lag: p.lag }))
    .sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
  return { group, lag: partitions.reduce((sum, p) => sum + p.lag, 0), partitions };
}

/** Reads the pipeline's state; one instance per server, since it remembers dead-letter counts. */
export class PipelineStatusReader {
  private readonly deadLetters: DeadLetterCounter;

  constructor(private readonly sources: PipelineSources, private readonly source: Pool) {
    this.deadLetters = new DeadLetterCounter(sources.bus, sources.topicPrefix);
  }

  async read(nowMs = Date.now()): Promise<PipelineStatus> {
    const [cdc, groups, deadLetters, marts] = await Promise.all([
      cdcStatus(this.sources, this.source, nowMs),
      Promise.all(this.sources.groups.map((group) => groupStatus(this.sources.bus, group))),
      this.deadLetters.count(),
      // A warehouse that cannot answer must not take the rest of the status down with it.
      this.sources.marts ? this.sources.marts().then((list) => ({ list }), (error: unknown) => ({ list: [], error: (error as Error).message })) : { list: [] },
    ]);
    return {
      bus: this.sources.bus.kind, cdc, consumer_groups: groups, dead_letters: deadLetters, roles: this.sources.roles?.() ?? [],
      marts: marts.list, ...('error' in marts && { marts_error: marts.error }),
    };
  }
}
