// The change-capture reader: snapshot first (resumable), then the binlog from exactly the
// snapshot's position. Row changes become Debezium envelopes on `<prefix>.<db>.<table>`, outbox
// inserts become domain events. The position is saved only after the bus acknowledged every
// event before it, so after a crash reading resumes there and nothing is lost.
import { isRetriable, PlatformError } from '../../core/errors.js';
import { createProgress, type Progress } from '../../core/progress.js';
import type { Logger } from '../../core/log.js';
import { connectMysql, createMysqlPool, parseMysqlUrl, type Pool, type RowDataPacket } from '../../marketplace/mysql/connection.js';
import type { Bus, OutgoingMessage } from '../bus/port.js';
import { backoffMs } from '../../core/retry-schedule.js';
import { BinlogStream, TableColumnsChanged, TableColumnsUnknown, type BinlogTransaction, type StreamStart } from './binlog-stream.js';
import { normalizeRow } from './column-values.js';
import { CONNECTOR_VERSION, rowKey, type ChangeEnvelope, type ChangeOp, type Row, type SourceInfo } from './envelope.js';
import { nextClock, versionOf } from './event-version.js';
import { ddlTable } from './ddl-table.js';
import { OUTBOX_TABLE, routeOutboxRow } from './outbox-router.js';
import { advanceGtid, type ReaderState, type SnapshotProgress, type StateStore } from './reader-state.js';
import { beginSnapshot, columnsByTable, listTables, openCurrentTable, openSnapshotTable, readTable, type SnapshotTable, type TableColumns } from './snapshot.js';
import { SchemaCache } from './table-schema.js';
import { tableTopic, type TableFilter } from './topics.js';

/** stop() arrived during the snapshot; its progress is saved and it resumes on the next start. */
class SnapshotInterrupted extends Error {}

/** The binlog connection is to be opened again at the enqueued position, with other tables skipped. */
class StreamReopen extends Error {}

/** The binlog the saved position needs is gone: events in between can never be read. */
export class BinlogPurged extends PlatformError {
  readonly code = 'BINLOG_PURGED';
  readonly retriable = false;
}

/** True when `current` lacks, or is behind, a domain of the `saved` MariaDB GTID position. */
export function gtidBehind(current: string, saved: string): boolean {
  const seqs = new Map(current.split(',').filter(Boolean).map((g) => {
    const [domain, , seq] = g.split('-');
    return [domain!, BigInt(seq!)] as const;
  }));
  return saved.split(',').filter(Boolean).some((g) => {
    const [domain, , seq] = g.split('-');
    const now = seqs.get(domain!);
    return now === undefined || now < BigInt(seq!);
  });
}

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
}

export interface CdcStats {
  phase: 'starting' | 'snapshot' | 'streaming' | 'stopped' | 'failed';
  snapshotRows: number;
  changesPublished: number;
  transactions: number;
  /** Commit time of the newest published transaction (ms since epoch). */
  lastCommitMs: number | undefined;
  position: { file: string; pos: number; gtid: string | null } | undefined;
}

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
  private lastTransactionEvents = 1;
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
    phase: 'starting', snapshotRows: 0, changesPublished: 0, transactions: 0, lastCommitMs: undefined, position: undefined,
  };
  readonly done: Promise<void>;

  private constructor(private readonly options: CdcReaderOptions) {
    this.database = parseMysqlUrl(options.url).database;
    this.done = this.run();
    // The caller awaits `done`; keep an early failure from also surfacing as unhandled.
    this.done.catch(() => undefined);
  }

  static start(options: CdcReaderOptions): CdcReader {
    return new CdcReader(options);
  }

  stats(): CdcStats {
    return { ...this.statsValue };
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
    try {
      const facts = await this.connect();
      this.schemas = new SchemaCache(this.pool);
      this.flavour = /mariadb/i.test(String(facts!.version)) ? 'mariadb' : 'mysql';
      this.serverId = Number(facts!.serverId);
      await this.warnWithoutFullRowMetadata();

      let state = await this.options.store.load();
      if (!state || state.snapshot) state = await this.snapshotWaitingForSource(state);
      this.state = state;
      this.clock = BigInt(state.clock);
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
    return this.untilSourceAnswers('during the snapshot', async () => {
      const from = first ? previous : ((await this.options.store.load()) ?? previous);
      first = false;
      return this.snapshot(from);
    });
  }

  private async snapshot(previous: ReaderState | undefined): Promise<ReaderState> {
    this.statsValue.phase = 'snapshot';
    const connection = await connectMysql(this.options.url, { cdcValues: true });
    try {
      const opened = await beginSnapshot(connection, this.flavour);
      let progress: SnapshotProgress;
      if (previous?.snapshot) {
        // Resuming: a new transaction reads the rest. Rows may now be newer than the snapshot
        // position; streaming from that position replays the changes, and versions sort it out.
        progress = previous.snapshot;
        this.log.info({ tablesDone: progress.tablesDone.length }, 'resuming the snapshot');
      } else {
        const clock = nextClock(BigInt(previous?.clock ?? '0'), opened.serverTimeMs);
        progress = { file: opened.file, pos: opened.pos, gtid: opened.gtid, clock: clock.toString(), tablesDone: [] };
        // Only a snapshot taken by this run knows the columns at its position (a resumed one began later).
        this.columnsUntilDdl = await columnsByTable(connection, this.database);
        this.log.info({ file: opened.file, pos: opened.pos, gtid: opened.gtid }, 'snapshot started');
      }
      const base: ReaderState = {
        sourceServerId: this.serverId, file: progress.file, pos: progress.pos, gtid: progress.gtid, clock: progress.clock, updatedAt: '',
      };
      const save = () => this.options.store.save({ ...base, snapshot: progress, updatedAt: new Date().toISOString() });
      await save();
      const version = versionOf(BigInt(progress.clock), 0).toString();
      const captured = (table: string) => table !== OUTBOX_TABLE && this.options.filter.accepts(this.database, table);
      const tables = (await listTables(connection, this.database)).filter(captured);
      const connect = () => connectMysql(this.options.url, { cdcValues: true });
      const read = { progress, save, version, serverTimeMs: opened.serverTimeMs };
      let vanished = false;
      for (const table of tables) {
        if (this.stopping) throw new SnapshotInterrupted();
        if (progress.tablesDone.includes(table)) continue;
        const source = await openSnapshotTable(connection, this.schemas, this.database, table, connect);
        if (!source) {
          vanished = true;
          this.log.info({ table }, 'table dropped or renamed since the snapshot began; its DDL comes from the binlog');
          continue;
        }
        if (source.outside) this.log.info({ table }, 'table created or rebuilt since the snapshot began; reading it as it is now, the binlog replays its changes since');
        await this.snapshotTable(source, table, read);
      }
      if (vanished) {
        // A table renamed away keeps its rows under a name not listed, and the binlog has none of
        // them from before the snapshot: read the tables that appeared as they are now (one that
        // was merely created gets its rows twice).
        for (const table of (await listTables(connection, this.database)).filter((t) => captured(t) && !tables.includes(t) && !progress.tablesDone.includes(t))) {
          if (this.stopping) throw new SnapshotInterrupted();
          const source = await openCurrentTable(this.schemas, this.database, table, connect);
          if (!source) continue;
          this.log.info({ table }, 'table appeared since the snapshot began while another went; reading it as it is now');
          await this.snapshotTable(source, table, read);
        }
      }
      await connection.query('COMMIT');
      const state: ReaderState = { ...base, updatedAt: new Date().toISOString() };
      await this.options.store.save(state);
      this.log.info({ tables: tables.length, rows: this.statsValue.snapshotRows }, 'snapshot finished; streaming from its position');
      return state;
    } finally {
      await connection.end().catch(() => undefined);
    }
  }

  /** Publishes a table's rows as snapshot reads, saving progress after each chunk. */
  private async snapshotTable(
    source: SnapshotTable,
    table: string,
    { progress, save, version, serverTimeMs }: { progress: SnapshotProgress; save: () => Promise<void>; version: string; serverTimeMs: number },
  ): Promise<void> {
    const { schema, total } = source;
    const bar = total === 0 ? { update() {}, finish() {} } : (this.options.progress ?? ((label, n) => createProgress({ label, total: n })))(`snapshot ${table}`, total);
    const resumeKey = progress.lastKey?.table === table ? progress.lastKey.values : undefined;
    let done = 0;
    const topic = tableTopic(this.options.topicPrefix, this.database, table);
    try {
      for await (const chunk of readTable(source.connection, schema, this.options.snapshotChunkRows, resumeKey)) {
        const messages = chunk.rows.map((row, index) => this.message('r', null, this.options.filter.strip(this.database, table, row), schema.primaryKey, {
          table, file: progress.file, pos: progress.pos, row: index, gtid: progress.gtid, ts_ms: serverTimeMs, snapshot: 'true', sequence: version, server_id: this.serverId,
        }, null));
        await this.publish(topic, messages);
        done += chunk.rows.length;
        this.statsValue.snapshotRows += chunk.rows.length;
        bar.update(done);
        if (chunk.lastKey) progress.lastKey = { table, values: chunk.lastKey };
        await save();
        if (this.stopping) break;
      }
    } finally {
      await source.close();
    }
    if (this.stopping) throw new SnapshotInterrupted();
    bar.finish();
    progress.tablesDone.push(table);
    progress.lastKey = undefined;
    await save();
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
    const { state } = this;
    if (state.sourceServerId !== this.serverId) {
      // Another server (failover): its binlog names and offsets are its own; only GTIDs carry over.
      if (state.gtid && this.flavour === 'mariadb') {
        this.log.warn({ from: state.sourceServerId, to: this.serverId, gtid: state.gtid }, 'source server changed; resuming by GTID');
        return { gtid: state.gtid };
      }
      return this.missing(`the saved position ${state.file}:${state.pos} belongs to server_id ${state.sourceServerId}, but the source is server_id ${this.serverId} and has no GTID to resume from`);
    }
    if (this.flavour === 'mariadb' && state.gtid) {
      const [[row]] = await this.pool.query<RowDataPacket[]>('SELECT @@gtid_binlog_pos AS gtid');
      const current = String(row!.gtid ?? '');
      if (gtidBehind(current, state.gtid)) {
        return this.missing(`the source's binlog history restarted: its GTID position (${current || 'empty'}) is behind the saved ${state.gtid} (rebuilt from a backup, or RESET MASTER)`);
      }
    }
    const [logs] = await this.pool.query<RowDataPacket[]>('SHOW BINARY LOGS');
    const names = logs.map((row) => String(row.Log_name));
    if (!names.includes(state.file)) {
      return this.missing(`the saved position ${state.file}:${state.pos} is no longer on the server (oldest binlog: ${names[0] ?? 'none'}); the changes in between are gone`);
    }
    return { file: state.file, pos: state.pos };
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
      const items = await this.transactionMessages(transaction, this.clock);
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
    return { byTopic, published, lastCommitMs, transactions: transactions.length, file: last.file, pos: last.endPos, gtid: this.builtGtid, clock: this.clock };
  }

  /** The bus acknowledged a batch: it becomes the position to resume from. */
  private async committed(batch: Awaited<ReturnType<CdcReader['buildBatch']>>): Promise<void> {
    this.state = { ...this.state, sourceServerId: this.serverId, file: batch.file, pos: batch.pos, gtid: batch.gtid, clock: batch.clock.toString() };
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

  /** Envelopes and domain events of one transaction, stamped with the next clock value. */
  private async transactionMessages(transaction: BinlogTransaction, previousClock: bigint) {
    const messages: { topic: string; message: OutgoingMessage }[] = [];
    const included = transaction.changes.filter((c) => this.options.filter.accepts(c.database, c.table));
    const truncated: { database: string; table: string; pos: number }[] = [];
    for (const ddl of transaction.ddl) {
      const changed = ddlTable(ddl.sql, ddl.database);
      const database = changed?.database ?? ddl.database;
      this.schemas.invalidate(database);
      if (/^TRUNCATE/i.test(ddl.sql) && changed && this.options.filter.accepts(database, changed.table)) truncated.push({ database, table: changed.table, pos: ddl.pos });
      if (database === this.database) {
        messages.push({
          topic: this.options.topicPrefix,
          message: { key: JSON.stringify({ databaseName: database }), value: JSON.stringify({ source: { file: transaction.file, pos: ddl.pos, gtid: transaction.gtid, ts_ms: transaction.timestampMs }, databaseName: database, ddl: ddl.sql, ts_ms: Date.now() }) },
        });
      }
    }
    const count = included.length + truncated.length;
    if (count === 0) return { messages, count: 0, clock: previousClock };
    const clock = nextClock(previousClock, transaction.timestampMs, this.lastTransactionEvents);
    this.lastTransactionEvents = count;
    const transactionId = transaction.gtid ?? `${transaction.file}:${transaction.endPos}`;
    const perTable = new Map<string, number>();
    let order = 0;
    const sourceOf = (table: string, pos: number, row: number): Omit<SourceInfo, 'version' | 'connector' | 'name' | 'db' | 'thread' | 'query'> => ({
      table, file: transaction.file, pos, row, gtid: transaction.gtid, ts_ms: transaction.timestampMs, snapshot: 'false',
      sequence: versionOf(clock, order).toString(), server_id: transaction.serverId,
    });
    for (const change of included) {
      order++;
      if (change.database === this.database && change.table === OUTBOX_TABLE) {
        // Only inserts are events; the platform's housekeeping deletes of old outbox rows are not.
        if (change.op === 'c') {
          messages.push(routeOutboxRow(this.options.topicPrefix, normalizeRow(change.after!, { codes: change.columnTypes, special: new Map() })));
        }
        continue;
      }
      const schema = this.schemas.cached(change.database, change.table) ?? await this.untilSourceAnswers("while reading a table's columns", () => this.schemas.get(change.database, change.table));
      const types = { codes: change.columnTypes, special: schema?.special ?? new Map() };
      const strip = (row: Row | null) => this.options.filter.strip(change.database, change.table, row && normalizeRow(row, types));
      const tableOrder = (perTable.get(change.table) ?? 0) + 1;
      perTable.set(change.table, tableOrder);
      messages.push({
        topic: tableTopic(this.options.topicPrefix, change.database, change.table),
        message: this.message(change.op, strip(change.before), strip(change.after), schema?.primaryKey ?? [], sourceOf(change.table, change.pos, change.row),
          { id: transactionId, total_order: order, data_collection_order: tableOrder }, change.database),
      });
    }
    for (const { database, table, pos } of truncated) {
      order++;
      // Every partition gets the truncate, so each partition's consumer applies it in order.
      const topic = tableTopic(this.options.topicPrefix, database, table);
      await this.options.bus.ensureTopic(topic);
      // Where the TRUNCATE statement starts in the binlog, as Debezium reports it.
      const message = this.message('t', null, null, [], sourceOf(table, pos, 0), { id: transactionId, total_order: order, data_collection_order: 1 }, database);
      for (let partition = 0; partition < (await this.options.bus.partitions(topic)); partition++) {
        messages.push({ topic, message: { ...message, partition } });
      }
    }
    return { messages, count, clock };
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

  private message(
    op: ChangeOp,
    before: Row | null,
    after: Row | null,
    primaryKey: string[],
    source: Omit<SourceInfo, 'version' | 'connector' | 'name' | 'db' | 'thread' | 'query'>,
    transaction: ChangeEnvelope['transaction'],
    database = this.database,
  ): OutgoingMessage {
    const envelope: ChangeEnvelope = {
      before, after,
      source: { version: CONNECTOR_VERSION, connector: 'mysql', name: this.options.sourceName ?? this.options.topicPrefix, db: database, thread: null, query: null, ...source },
      op, ts_ms: Date.now(), transaction,
    };
    const row = after ?? before;
    return { key: row ? rowKey(primaryKey, row) : null, value: JSON.stringify(envelope) };
  }
}
