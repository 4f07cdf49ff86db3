// The change-capture reader: snapshot first (resumable), then the binlog from exactly the
// snapshot's position, and incremental snapshots when a signal asks for one while it streams.
// This file holds the lifecycle, flow control and saving the position: the position is saved
// only after the bus acknowledged every event before it, so after a crash reading resumes there
// and nothing is lost. What the events look like is change-events.ts; where to resume,
// resume-position.ts; the snapshots, initial-snapshot.ts and incremental-snapshot.ts.
import { isRetriable } from '../../core/errors.js';
import type { Progress } from '../../core/progress.js';
import type { Logger } from '../../core/log.js';
import { createMysqlPool, parseMysqlUrl, type Pool, type RowDataPacket } from '../../marketplace/mysql/connection.js';
import type { Bus, OutgoingMessage } from '../bus/port.js';
import { backoffMs } from '../../core/retry-schedule.js';
import { BinlogStream, TableColumnsChanged, TableColumnsUnknown, type BinlogTransaction, type RowsDecoderChoice, type StreamStart } from './binlog-stream.js';
import { ChangeEvents, type TransactionEvents } from './change-events.js';
import { ddlTable } from './ddl-table.js';
import type { Row } from './envelope.js';
import { runIncrementalSnapshots } from './incremental-snapshot.js';
import { SnapshotInterrupted, takeSnapshot } from './initial-snapshot.js';
import { OUTBOX_TABLE } from './outbox-router.js';
import { advanceGtid, type ReaderState, type StateStore } from './reader-state.js';
import { BinlogPurged, resumePosition } from './resume-position.js';
import { parseSignal } from './signals.js';
import { incrementalStats, SnapshotWindows, type IncrementalSnapshotStats } from './snapshot-windows.js';
import type { TableColumns } from './snapshot.js';
import { SchemaCache } from './table-schema.js';
import { tableTopic, type TableFilter } from './topics.js';

export { BinlogPurged, gtidBehind } from './resume-position.js';

/** The binlog connection is to be opened again at the enqueued position, with other tables skipped. */
class StreamReopen extends Error {}

export interface CdcReaderOptions {
  url: string;
  bus: Bus;
  store: StateStore;
  topicPrefix: string;
  filter: TableFilter;
  replicaServerId: number;
  snapshotChunkRows: number;
  onMissingBinlog: 'fail' | 'resnapshot';
  log: Logger;
  progress?: (label: string, total: number) => Progress;
  /** Row changes published per bus round trip at most. */
  maxBatchEvents?: number;
  /** `source.name` of every event: which source (shard) it came from. Defaults to the topic prefix. */
  sourceName?: string;
  /** Table of the captured database that signals are written to (Debezium's shape); never published. */
  signalTable?: string;
  /** Who decodes row images (see BinlogStreamOptions.rowsDecoder); the reader's own by default. */
  rowsDecoder?: RowsDecoderChoice;
}

export type { IncrementalSnapshotStats } from './snapshot-windows.js';

export interface CdcStats {
  phase: 'starting' | 'snapshot' | 'streaming' | 'stopped' | 'failed';
  snapshotRows: number;
  changesPublished: number;
  transactions: number;
  /** Commit time of the newest published transaction (ms since epoch). */
  lastCommitMs: number | undefined;
  position: { file: string; pos: number; gtid: string | null } | undefined;
  /** The last signalled snapshot, while it runs and after. */
  incrementalSnapshot: IncrementalSnapshotStats | undefined;
}

export const DEFAULT_SIGNAL_TABLE = 'cdc_signals';

const HIGH_WATER = 50_000;
const SAVE_EVERY_MS = 250;

/**
 * A connection the source dropped fails its next command with mysql2's `fatal` and no code (a
 * refused login is fatal too, but has a code: it stays fatal).
 */
function sourceDropped(error: unknown): boolean {
  return (error as { fatal?: unknown } | null)?.fatal === true && (error as { code?: unknown }).code === undefined;
}
const LOW_WATER = 10_000;

export class CdcReader {
  private readonly database: string;
  private pool!: Pool;
  private schemas!: SchemaCache;
  private stream: BinlogStream | undefined;
  private state!: ReaderState;
  private clock = 0n;
  private events!: ChangeEvents;
  private windows!: SnapshotWindows;
  /** Tables a signal added to capture (see ReaderState.addedTables). */
  private readonly added = new Set<string>();
  private readonly signalTable: string;
  /** The configured filter, plus tables signals added, minus the signal table. */
  private readonly filter: Pick<TableFilter, 'accepts' | 'strip' | 'droppedColumns'>;
  private stopping = false;
  private wake: (() => void) | undefined;
  private readonly queue: BinlogTransaction[] = [];
  private queuedChanges = 0;
  private paused = false;
  private streamError: (Error & { code?: string | number; errno?: number }) | undefined;
  private enqueued: { file: string; pos: number; gtid: string | null } | undefined;
  private serverId = 0;
  private inflight: Promise<void> = Promise.resolve();
  /** The batch in flight failed (its publish or the save after it): reading must stop, even if no new change comes to notice. */
  private inflightFailure: unknown;
  private builtGtid: string | null = null;
  private unsaved = false;
  private savedAt = 0;
  private flavour: 'mariadb' | 'mysql' = 'mariadb';
  /**
   * Tables (database.table) whose rows the binlog holds but cannot be decoded: they are gone from
   * the source and the binlog does not name their columns. Skipped until DDL names them again.
   */
  private readonly undecodable = new Map<string, { database: string; table: string }>();
  /** Tables' columns as the snapshot began, for their rows until their next DDL (see BinlogStream). */
  private columnsUntilDdl = new Map<string, TableColumns>();
  private readonly statsValue: CdcStats = {
    phase: 'starting', snapshotRows: 0, changesPublished: 0, transactions: 0, lastCommitMs: undefined, position: undefined, incrementalSnapshot: undefined,
  };
  readonly done: Promise<void>;
  /** Settles when the reader first streams the binlog (after its snapshot, if it takes one); a start's time is told by it. */
  readonly streaming: Promise<void>;
  /** Settles when the reader first reads the source: its snapshot, or the binlog. */
  readonly reading: Promise<void>;
  private nowStreaming: () => void = () => undefined;
  private nowReading: () => void = () => undefined;

  private constructor(private readonly options: CdcReaderOptions) {
    this.database = parseMysqlUrl(options.url).database;
    this.signalTable = options.signalTable ?? DEFAULT_SIGNAL_TABLE;
    const base = options.filter;
    this.filter = {
      accepts: (database, table) => database === this.database && table === this.signalTable ? false : base.accepts(database, table) || (database === this.database && this.added.has(table)),
      strip: (database, table, row) => base.strip(database, table, row),
      droppedColumns: (database, table) => base.droppedColumns(database, table),
    };
    this.streaming = new Promise((resolve) => { this.nowStreaming = resolve; });
    this.reading = new Promise((resolve) => { this.nowReading = resolve; });
    this.done = this.run();
    // The caller awaits `done`; keep an early failure from also surfacing as unhandled.
    this.done.catch(() => undefined);
  }

  static start(options: CdcReaderOptions): CdcReader {
    return new CdcReader(options);
  }

  stats(): CdcStats {
    const incrementalSnapshot = incrementalStats(this.windows?.progress());
    return { ...this.statsValue, incrementalSnapshot };
  }

  /** Stops reading, publishes what was read completely, saves the position. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.done.catch(() => undefined);
  }

  private get log(): Logger {
    return this.options.log;
  }

  private async run(): Promise<void> {
    let incremental: Promise<void> | undefined;
    try {
      const facts = await this.connect();
      this.schemas = new SchemaCache(this.pool);
      this.flavour = /mariadb/i.test(String(facts!.version)) ? 'mariadb' : 'mysql';
      this.serverId = Number(facts!.serverId);
      await this.warnWithoutFullRowMetadata();
      this.events = new ChangeEvents({
        database: this.database, topicPrefix: this.options.topicPrefix, sourceName: this.options.sourceName ?? this.options.topicPrefix, filter: this.filter,
        schemaOf: (database, table) => this.schemas.cached(database, table) ?? this.untilSourceAnswers("while reading a table's columns", () => this.schemas.get(database, table)),
        forgetSchemas: (database) => this.schemas.invalidate(database),
        partitionsOf: async (topic) => {
          await this.options.bus.ensureTopic(topic);
          return this.options.bus.partitions(topic);
        },
      });

      let state = await this.options.store.load();
      for (const table of state?.addedTables ?? []) this.added.add(table);
      this.windows = new SnapshotWindows(state?.incremental, (message, fields) => this.log.info(fields ?? {}, message));
      if (!state || state.snapshot) state = await this.snapshotWaitingForSource(state);
      this.state = state;
      this.clock = BigInt(state.clock);
      incremental = runIncrementalSnapshots({
        pool: this.pool, database: this.database, signalTable: this.signalTable, chunkRows: this.options.snapshotChunkRows,
        schemas: this.schemas, windows: this.windows, log: this.log, stopping: () => this.stopping,
      });
      while (!this.stopping) {
        const from = await this.streamStart();
        if (!from) {
          this.state = await this.snapshotWaitingForSource({ ...this.state, snapshot: undefined });
          this.clock = BigInt(this.state.clock);
          continue;
        }
        await this.streamFrom(from);
      }
      this.statsValue.phase = 'stopped';
    } catch (error) {
      if (error instanceof SnapshotInterrupted) {
        this.statsValue.phase = 'stopped';
        return;
      }
      this.statsValue.phase = 'failed';
      throw error;
    } finally {
      this.stopping = true;
      await incremental?.catch(() => undefined);
      await this.stream?.stop();
      await this.pool?.end().catch(() => undefined);
    }
  }

  /**
   * Runs `query` until the source answers: a source that is restarting (refused or dropped
   * connections) is waited for with backoff, not fatal. `doing` says in the log what waits.
   */
  private async untilSourceAnswers<T>(doing: string, query: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await query();
      } catch (error) {
        if (!(isRetriable(error) || sourceDropped(error)) || this.stopping) throw error;
        const waitMs = backoffMs(attempt, 500, 30_000);
        this.log.warn({ err: error, attempt, waitMs }, `source unreachable ${doing}; trying again`);
        await new Promise((r) => setTimeout(r, waitMs));
      }
    }
  }

  /** Opens the reader's pool and reads the source's version and server id. */
  private connect(): Promise<RowDataPacket> {
    return this.untilSourceAnswers('as change capture starts', async () => {
      try {
        this.pool = await createMysqlPool(this.options.url, { cdcValues: true, connectionLimit: 3 });
        const [[facts]] = await this.pool.query<RowDataPacket[]>('SELECT @@version AS version, @@server_id AS serverId');
        return facts!;
      } catch (error) {
        await this.pool?.end().catch(() => undefined);
        throw error;
      }
    });
  }

  /**
   * Rows decode by position with the table's current columns when the binlog does not name them:
   * said once at start, since column changes while capture lags can then fail or misname values
   * (RELIABILITY.md says which).
   */
  private async warnWithoutFullRowMetadata(): Promise<void> {
    // Servers older than MariaDB 10.5 / MySQL 8.0.1 have no such setting, and log no names.
    const [[row]] = await this.pool.query<RowDataPacket[]>('SELECT @@binlog_row_metadata AS metadata').catch(() => [[{ metadata: 'none' }]] as never);
    const metadata = String(row?.metadata ?? 'none').toUpperCase();
    if (metadata === 'FULL') return;
    this.log.warn(
      { binlogRowMetadata: metadata },
      'the source logs rows without column names (binlog_row_metadata is not FULL): rows read after their table\'s columns changed are decoded by position with its current columns, beyond the first change during a snapshot; SET GLOBAL binlog_row_metadata=FULL (and in the server\'s config) to capture through any column change',
    );
  }

  // ---- snapshot ----------------------------------------------------------------------------

  /**
   * The snapshot, waiting out a source that restarts meanwhile: each attempt after the first
   * resumes from the progress the last one saved (its finished tables and last key).
   */
  private async snapshotWaitingForSource(previous: ReaderState | undefined): Promise<ReaderState> {
    let first = true;
    this.statsValue.phase = 'snapshot';
    this.nowReading();
    return this.untilSourceAnswers('during the snapshot', async () => {
      const from = first ? previous : ((await this.options.store.load()) ?? previous);
      first = false;
      const { state, columnsAtStart } = await takeSnapshot({
        url: this.options.url, database: this.database, serverId: this.serverId, flavour: this.flavour,
        filter: this.filter, schemas: this.schemas, store: this.options.store, chunkRows: this.options.snapshotChunkRows,
        events: this.events, log: this.log, progress: this.options.progress,
        publish: (topic, messages) => this.publish(topic, messages),
        stopping: () => this.stopping,
        onRows: (rows) => { this.statsValue.snapshotRows += rows; },
      }, from);
      if (columnsAtStart) this.columnsUntilDdl = columnsAtStart;
      return state;
    });
  }

  // ---- streaming ---------------------------------------------------------------------------

  /**
   * Where streaming starts, or undefined when a new snapshot must be taken instead. Asked right
   * after the binlog connection dropped, which is when the source may be restarting: the pool's
   * connections are then dead or refused for a while, so it asks again until the source answers.
   */
  private streamStart(): Promise<StreamStart | undefined> {
    return this.untilSourceAnswers('while finding where to resume', () => this.findStreamStart());
  }

  private async findStreamStart(): Promise<StreamStart | undefined> {
    const decision = await resumePosition(this.pool, this.state, { serverId: this.serverId, flavour: this.flavour });
    if ('missing' in decision) return this.missing(decision.missing);
    if (decision.failover) this.log.warn({ ...decision.failover, gtid: this.state.gtid }, 'source server changed; resuming by GTID');
    return decision.start;
  }

  private missing(reason: string): undefined {
    if (this.options.onMissingBinlog === 'resnapshot') {
      this.log.warn({ reason }, 'binlog position lost; taking a new snapshot (CDC_ON_MISSING_BINLOG=resnapshot)');
      return undefined;
    }
    throw new BinlogPurged(`CDC: ${reason}. Set CDC_ON_MISSING_BINLOG=resnapshot to take a new snapshot, or restore the missing binlogs`);
  }

  private async streamFrom(from: StreamStart): Promise<void> {
    this.statsValue.phase = 'streaming';
    this.nowStreaming();
    this.nowReading();
    this.statsValue.position = { file: this.state.file, pos: this.state.pos, gtid: this.state.gtid };
    this.builtGtid = this.state.gtid;
    this.clock = BigInt(this.state.clock);
    this.enqueued = { file: 'file' in from ? from.file : this.state.file, pos: 'file' in from ? from.pos : this.state.pos, gtid: this.state.gtid };
    let attempt = 0;
    this.openStream(from);
    while (!this.stopping || this.queue.length > 0) {
      if (this.queue.length === 0) {
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          setTimeout(resolve, 200);
        });
        this.wake = undefined;
      }
      if (this.inflightFailure) throw this.inflightFailure;
      if (this.streamError) {
        const error = this.streamError;
        this.streamError = undefined;
        await this.stream?.stop();
        this.stream = undefined;
        const reopen = error instanceof StreamReopen || (error instanceof TableColumnsUnknown && await this.skipUndecodable(error));
        if (reopen) {
          this.openStream(this.enqueuedStart());
          continue;
        }
        if (error instanceof TableColumnsChanged) {
          await this.drain();
          throw error;
        }
        if (error.errno === 1236 || error.code === 1236 || /purged|could not find first log|1236/i.test(error.message)) {
          await this.drain();
          const start = await this.streamStart();
          if (!start) return;
          throw new BinlogPurged(`CDC: the source refused to send the binlog from ${this.enqueued.file}:${this.enqueued.pos}: ${error.message}`);
        }
        attempt++;
        const waitMs = backoffMs(attempt, 500, 30_000);
        this.log.warn({ err: error, attempt, waitMs }, 'binlog connection lost; reconnecting');
        await this.drain();
        await new Promise((r) => setTimeout(r, waitMs));
        if (this.stopping) break;
        this.openStream(this.enqueuedStart());
        continue;
      }
      if (this.queue.length > 0) {
        attempt = 0;
        await this.publishQueued();
      }
      if (this.stopping && this.stream) {
        await this.stream.stop();
        this.stream = undefined;
      }
    }
    await this.drain();
  }

  /** Where to read again after the last transaction handed over (by GTID after a failover). */
  private enqueuedStart(): StreamStart {
    const enqueued = this.enqueued!;
    return enqueued.gtid && this.state.sourceServerId !== this.serverId ? { gtid: enqueued.gtid } : { file: enqueued.file, pos: enqueued.pos };
  }

  private openStream(from: StreamStart): void {
    this.paused = false;
    const stream = new BinlogStream({
      url: this.options.url,
      replicaServerId: this.options.replicaServerId,
      databases: [this.database],
      skipTables: [...this.undecodable.values()],
      columnsUntilDdl: this.columnsUntilDdl,
      rowsDecoder: this.options.rowsDecoder,
      onTransaction: (transaction) => {
        this.queue.push(transaction);
        this.queuedChanges += transaction.changes.length;
        this.enqueued = { file: transaction.file, pos: transaction.endPos, gtid: advanceGtid(this.enqueued?.gtid ?? null, transaction.gtid) };
        if (this.namesUndecodable(transaction)) {
          // Past the DDL a table of that name holds rows of its own again: read them, with
          // another connection; what this one still reads is read again by the next.
          stream.halt();
          this.streamError ??= new StreamReopen();
        }
        if (!this.paused && this.queuedChanges > HIGH_WATER) {
          this.paused = true;
          this.stream?.pause();
        }
        this.wake?.();
      },
      onError: (error) => {
        this.streamError ??= error;
        this.wake?.();
      },
    });
    this.stream = stream;
    stream.start(from);
  }

  /**
   * Whether the rows of a table the source no longer lists can be skipped: only when it is truly
   * gone (not hidden by missing privileges). Without FULL row metadata the binlog does not name
   * their columns, so they cannot be told apart; the DROP that follows them still goes out.
   */
  private async skipUndecodable({ database, table }: TableColumnsUnknown): Promise<boolean> {
    const [rows] = await this.untilSourceAnswers('while looking for a table', () => this.pool.query<RowDataPacket[]>(
      'SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?', [database, table],
    ));
    if (rows.length > 0) return false;
    this.undecodable.set(`${database}.${table}`, { database, table });
    this.log.warn(
      { database, table },
      'the binlog holds rows of a table dropped or renamed since, and does not name their columns (binlog_row_metadata is not FULL): skipping them; set binlog_row_metadata=FULL to capture them',
    );
    return true;
  }

  /** Whether a transaction's DDL names a table whose rows are being skipped, and stops skipping it. */
  private namesUndecodable(transaction: BinlogTransaction): boolean {
    let named = false;
    for (const ddl of transaction.ddl) {
      const changed = ddlTable(ddl.sql, ddl.database);
      if (changed && this.undecodable.delete(`${changed.database}.${changed.table}`)) named = true;
    }
    return named;
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) await this.publishQueued();
    await this.inflight;
    if (this.unsaved) await this.saveState();
  }

  /**
   * Publishes the next batch of whole transactions. Building a batch overlaps with the previous
   * one's publish (at most one in flight); positions are saved in order, after the bus acked.
   */
  private async publishQueued(): Promise<void> {
    const max = this.options.maxBatchEvents ?? 20_000;
    const batch: BinlogTransaction[] = [];
    let changes = 0;
    while (this.queue.length > 0 && (batch.length === 0 || changes + this.queue[0]!.changes.length <= max)) {
      const transaction = this.queue.shift()!;
      batch.push(transaction);
      changes += transaction.changes.length;
    }
    this.queuedChanges -= changes;
    const built = await this.buildBatch(batch);
    const previous = this.inflight;
    const publishing = Promise.all([...built.byTopic].map(([topic, messages]) => this.publish(topic, messages)));
    this.inflight = Promise.all([previous, publishing]).then(() => this.committed(built));
    this.inflight.catch((error: unknown) => {
      this.inflightFailure ??= error;
      this.wake?.();
    });
    await previous;
    if (this.paused && this.queuedChanges < LOW_WATER) {
      this.paused = false;
      this.stream?.resume();
    }
  }

  private async buildBatch(transactions: BinlogTransaction[]) {
    const byTopic = new Map<string, OutgoingMessage[]>();
    let published = 0;
    let lastCommitMs: number | undefined;
    for (const transaction of transactions) {
      this.builtGtid = advanceGtid(this.builtGtid, transaction.gtid);
      const items = await this.eventsOf(transaction);
      if (items.count > 0) {
        this.clock = items.clock;
        published += items.count;
        lastCommitMs = transaction.timestampMs;
      }
      for (const { topic, message } of items.messages) {
        const list = byTopic.get(topic);
        if (list) list.push(message);
        else byTopic.set(topic, [message]);
      }
    }
    const last = transactions[transactions.length - 1]!;
    return {
      byTopic, published, lastCommitMs, transactions: transactions.length, file: last.file, pos: last.endPos, gtid: this.builtGtid, clock: this.clock,
      incremental: this.windows.progress(), addedTables: [...this.added],
    };
  }

  /**
   * A transaction's events, then what the signals among its rows ask for: at a chunk's closing
   * watermark, the chunk's rows not changed since its opening one.
   */
  private async eventsOf(transaction: BinlogTransaction): Promise<TransactionEvents> {
    const signals: Row[] = [];
    const changes = transaction.changes.filter((change) => {
      if (change.database !== this.database || change.table !== this.signalTable) return true;
      if (change.op === 'c' && change.after) signals.push(change.after);
      return false;
    });
    const items = await this.events.ofTransaction(signals.length > 0 ? { ...transaction, changes } : transaction, this.clock);
    const watched = changes.find((change) => change.database === this.database && this.windows.watching(change.table));
    if (watched) {
      const topic = tableTopic(this.options.topicPrefix, this.database, watched.table);
      for (const { topic: to, message } of items.messages) if (to === topic) this.windows.changedRow(message.key);
    }
    for (const row of signals) {
      const signal = parseSignal(row, this.database);
      if (signal.kind === 'snapshot-window-open') {
        this.windows.opened(signal.chunk);
        continue;
      }
      if (signal.kind === 'snapshot-window-close') {
        const out = this.windows.closed(signal.chunk);
        if (!out) continue;
        const schema = this.schemas.cached(this.database, out.table) ?? await this.schemas.get(this.database, out.table);
        const reads = this.events.chunkReads(transaction, items.count > 0 ? items.clock : this.clock, out.table, out.rows, schema?.primaryKey ?? []);
        if (reads.count > 0) {
          items.messages.push(...reads.messages);
          items.count += reads.count;
          items.clock = reads.clock;
        }
        continue;
      }
      if (signal.kind === 'execute-snapshot') {
        for (const { table } of signal.tables) {
          if (this.options.filter.excludes(this.database, table)) {
            this.log.warn({ signal: signal.id, table }, `signal ${signal.id}: ${table} is excluded from capture (CDC_EXCLUDE_TABLES); not snapshotted`);
            signal.tables = signal.tables.filter((t) => t.table !== table);
          } else if (!this.filter.accepts(this.database, table)) {
            this.added.add(table);
            this.log.info({ signal: signal.id, table }, `signal ${signal.id}: ${table} is captured from now on`);
          }
        }
        if (signal.tables.length === 0) continue;
      }
      this.log.info({ signal: signal.id }, `signal ${signal.id}: ${this.windows.signal(signal)}`);
    }
    return items;
  }

  /** The bus acknowledged a batch: it becomes the position to resume from. */
  private async committed(batch: Awaited<ReturnType<CdcReader['buildBatch']>>): Promise<void> {
    this.state = {
      ...this.state, sourceServerId: this.serverId, file: batch.file, pos: batch.pos, gtid: batch.gtid, clock: batch.clock.toString(),
      incremental: batch.incremental, addedTables: batch.addedTables.length > 0 ? batch.addedTables : undefined,
    };
    this.unsaved = true;
    this.statsValue.changesPublished += batch.published;
    this.statsValue.transactions += batch.transactions;
    if (batch.lastCommitMs !== undefined) this.statsValue.lastCommitMs = batch.lastCommitMs;
    this.statsValue.position = { file: batch.file, pos: batch.pos, gtid: batch.gtid };
    // Saving less often than every batch costs only a longer replay after a crash, never a loss.
    if (Date.now() - this.savedAt >= SAVE_EVERY_MS || this.queue.length === 0) await this.saveState();
  }

  private async saveState(): Promise<void> {
    this.unsaved = false;
    this.savedAt = Date.now();
    await this.options.store.save({ ...this.state, updatedAt: new Date().toISOString() });
  }

  /** Publishes, waiting out a bus that is unavailable for now (retrying can only duplicate). */
  private async publish(topic: string, messages: OutgoingMessage[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.options.bus.publish(topic, messages);
        return;
      } catch (error) {
        if (!isRetriable(error) || this.stopping) throw error;
        const waitMs = backoffMs(attempt, 200, 30_000);
        this.log.warn({ err: error, topic, attempt, waitMs }, 'bus unavailable; publishing again');
        await new Promise((r) => setTimeout(r, waitMs));
      }
    }
  }
}
