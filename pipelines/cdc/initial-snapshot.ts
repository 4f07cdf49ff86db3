// The initial snapshot: every captured table read in primary-key order inside one consistent
// transaction, published as snapshot reads (op "r"), its progress saved after each chunk so a
// crash resumes at the table and key it reached. Streaming then starts at the snapshot's position.
import { createProgress, type Progress } from '../../core/progress.js';
import type { Logger } from '../../core/log.js';
import { connectMysql } from '../../marketplace/mysql/connection.js';
import type { ChangeEvents, TopicMessage } from './change-events.js';
import { nextClock, versionOf } from './event-version.js';
import { OUTBOX_TABLE } from './outbox-router.js';
import type { ReaderState, SnapshotProgress, StateStore } from './reader-state.js';
import { beginSnapshot, columnsByTable, listTables, openCurrentTable, openSnapshotTable, readTable, type SnapshotTable, type TableColumns } from './snapshot.js';
import type { SchemaCache } from './table-schema.js';
import type { TableFilter } from './topics.js';

/** stop() arrived during the snapshot; its progress is saved and it resumes on the next start. */
export class SnapshotInterrupted extends Error {}

export interface InitialSnapshotOptions {
  url: string;
  database: string;
  serverId: number;
  flavour: 'mariadb' | 'mysql';
  filter: Pick<TableFilter, 'accepts'>;
  schemas: SchemaCache;
  store: StateStore;
  chunkRows: number;
  events: ChangeEvents;
  log: Logger;
  progress?: (label: string, total: number) => Progress;
  publish(topic: string, messages: TopicMessage['message'][]): Promise<void>;
  stopping(): boolean;
  /** Rows published so far grew by `rows` (the reader's stats). */
  onRows(rows: number): void;
}

export interface SnapshotResult {
  state: ReaderState;
  /**
   * Tables' columns as the snapshot began, for their rows in the binlog until their next DDL;
   * only a snapshot begun by this run knows them (a resumed one began later).
   */
  columnsAtStart: Map<string, TableColumns> | undefined;
}

export async function takeSnapshot(options: InitialSnapshotOptions, previous: ReaderState | undefined): Promise<SnapshotResult> {
  const { database, log } = options;
  const connection = await connectMysql(options.url, { cdcValues: true });
  try {
    const opened = await beginSnapshot(connection, options.flavour);
    let progress: SnapshotProgress;
    let columnsAtStart: Map<string, TableColumns> | undefined;
    if (previous?.snapshot) {
      // Resuming: a new transaction reads the rest. Rows may now be newer than the snapshot
      // position; streaming from that position replays the changes, and versions sort it out.
      progress = previous.snapshot;
      log.info({ tablesDone: progress.tablesDone.length }, 'resuming the snapshot');
    } else {
      const clock = nextClock(BigInt(previous?.clock ?? '0'), opened.serverTimeMs);
      progress = { file: opened.file, pos: opened.pos, gtid: opened.gtid, clock: clock.toString(), tablesDone: [] };
      columnsAtStart = await columnsByTable(connection, database);
      log.info({ file: opened.file, pos: opened.pos, gtid: opened.gtid }, 'snapshot started');
    }
    const base: ReaderState = {
      ...previous, snapshot: undefined,
      sourceServerId: options.serverId, file: progress.file, pos: progress.pos, gtid: progress.gtid, clock: progress.clock, updatedAt: '',
    };
    const save = () => options.store.save({ ...base, snapshot: progress, updatedAt: new Date().toISOString() });
    await save();
    const read: TableRead = { options, progress, save, version: versionOf(BigInt(progress.clock), 0).toString(), serverTimeMs: opened.serverTimeMs };
    const captured = (table: string) => table !== OUTBOX_TABLE && options.filter.accepts(database, table);
    const tables = (await listTables(connection, database)).filter(captured);
    const connect = () => connectMysql(options.url, { cdcValues: true });
    let vanished = false;
    for (const table of tables) {
      if (options.stopping()) throw new SnapshotInterrupted();
      if (progress.tablesDone.includes(table)) continue;
      const source = await openSnapshotTable(connection, options.schemas, database, table, connect);
      if (!source) {
        vanished = true;
        log.info({ table }, 'table dropped or renamed since the snapshot began; its DDL comes from the binlog');
        continue;
      }
      if (source.outside) log.info({ table }, 'table created or rebuilt since the snapshot began; reading it as it is now, the binlog replays its changes since');
      await readIntoBus(source, table, read);
    }
    if (vanished) {
      // A table renamed away keeps its rows under a name not listed, and the binlog has none of
      // them from before the snapshot: read the tables that appeared as they are now (one that
      // was merely created gets its rows twice).
      for (const table of (await listTables(connection, database)).filter((t) => captured(t) && !tables.includes(t) && !progress.tablesDone.includes(t))) {
        if (options.stopping()) throw new SnapshotInterrupted();
        const source = await openCurrentTable(options.schemas, database, table, connect);
        if (!source) continue;
        log.info({ table }, 'table appeared since the snapshot began while another went; reading it as it is now');
        await readIntoBus(source, table, read);
      }
    }
    await connection.query('COMMIT');
    const state: ReaderState = { ...base, updatedAt: new Date().toISOString() };
    await options.store.save(state);
    log.info({ tables: tables.length }, 'snapshot finished; streaming from its position');
    return { state, columnsAtStart };
  } finally {
    await connection.end().catch(() => undefined);
  }
}

interface TableRead {
  options: InitialSnapshotOptions;
  progress: SnapshotProgress;
  save: () => Promise<void>;
  version: string;
  serverTimeMs: number;
}

/** Publishes a table's rows as snapshot reads, saving progress after each chunk. */
async function readIntoBus(source: SnapshotTable, table: string, { options, progress, save, version, serverTimeMs }: TableRead): Promise<void> {
  const { schema, total } = source;
  const bar = total === 0 ? { update() {}, finish() {} } : (options.progress ?? ((label, n) => createProgress({ label, total: n })))(`snapshot ${table}`, total);
  const resumeKey = progress.lastKey?.table === table ? progress.lastKey.values : undefined;
  let done = 0;
  try {
    for await (const chunk of readTable(source.connection, schema, options.chunkRows, resumeKey)) {
      const reads = chunk.rows.map((row, index) => options.events.snapshotRead(table, row, schema.primaryKey, {
        table, file: progress.file, pos: progress.pos, row: index, gtid: progress.gtid, ts_ms: serverTimeMs, snapshot: 'true', sequence: version, server_id: options.serverId,
      }));
      if (reads.length > 0) await options.publish(reads[0]!.topic, reads.map((read) => read.message));
      done += chunk.rows.length;
      options.onRows(chunk.rows.length);
      bar.update(done);
      if (chunk.lastKey) progress.lastKey = { table, values: chunk.lastKey };
      await save();
      if (options.stopping()) break;
    }
  } finally {
    await source.close();
  }
  if (options.stopping()) throw new SnapshotInterrupted();
  bar.finish();
  progress.tablesDone.push(table);
  progress.lastKey = undefined;
  await save();
}
