// Reads the binlog over the replication protocol (zongji) and hands over whole transactions:
// their row changes with before/after images, the DDL among them, and the position just after
// the transaction, which is where reading resumes. A transaction is only handed over complete.
import ZongJi, { type ColumnSchema } from '@vlasky/zongji';
import { PlatformError } from '../../core/errors.js';
import { parseMysqlUrl } from '../../marketplace/mysql/connection.js';
import { enumSetLabels } from './enum-labels.js';
import type { Row } from './envelope.js';
import { EncodedRowChange, EncodedRows } from './encoded-rows.js';
import { compileTableDecoder, type DescribedTable, type TableDecoder } from './rows-decoder.js';

export interface RowChange {
  op: 'c' | 'u' | 'd';
  database: string;
  table: string;
  before: Row | null;
  after: Row | null;
  /** Column name -> MySQL type code, as the binlog's TableMap states them. */
  columnTypes: Map<string, number>;
  /** Start of the rows event in its binlog file, and the row's index in that event. */
  pos: number;
  row: number;
  /**
   * Set when the rows were decoded by the reader's own decoder: their values are in their final
   * form already, but for these columns' bytes, which finishRow turns into text.
   */
  binaryColumns?: readonly string[];
}

export interface DdlStatement {
  database: string;
  sql: string;
  pos: number;
}

export interface BinlogTransaction {
  gtid: string | null;
  /** Server id of the server that wrote the transaction. */
  serverId: number;
  timestampMs: number;
  file: string;
  /** Where the transaction ends: reading resumes here. */
  endPos: number;
  changes: RowChange[];
  ddl: DdlStatement[];
}

export type StreamStart = { file: string; pos: number } | { gtid: string };

/**
 * Rows of a table the source lists no columns for (dropped or renamed since the rows were
 * written, or hidden from the user), in a binlog that does not name them itself.
 */
export class TableColumnsUnknown extends PlatformError {
  readonly code = 'TABLE_COLUMNS_UNKNOWN';
  readonly retriable = true;

  constructor(readonly database: string, readonly table: string) {
    super(`CDC: the binlog holds rows of ${database}.${table}, but information_schema lists no columns of it for this user (GRANT SELECT ON ${database}.* if it exists)`);
  }
}

/**
 * Rows written with more columns than their table has now, in a binlog that does not name them:
 * which value belongs to which column cannot be known. Retrying meets the same rows.
 */
export class TableColumnsChanged extends PlatformError {
  readonly code = 'TABLE_COLUMNS_CHANGED';
  readonly retriable = false;

  constructor(database: string, table: string) {
    super(
      `CDC: the binlog holds rows of ${database}.${table} written before columns were dropped from it, and without ` +
        'binlog_row_metadata=FULL it does not name their columns, so they cannot be decoded. Set binlog_row_metadata=FULL ' +
        "(SET GLOBAL binlog_row_metadata=FULL, and in the server's config), then take a new snapshot: stop change capture and move its position (reader-state.json in CDC_DIR) away",
    );
  }
}

/** zongji's own errors that mean a table's rows cannot be decoded, as the reader's types. */
function decodingError(error: Error): Error {
  const unknown = /^Insufficient permissions to access: ([^.]+)\.(.+)$/.exec(error.message);
  if (unknown) return new TableColumnsUnknown(unknown[1]!, unknown[2]!);
  const changed = /^Table ([^.]+)\.(\S+) schema changed between binlog event and metadata fetch/.exec(error.message);
  if (changed) return new TableColumnsChanged(changed[1]!, changed[2]!);
  return error;
}

export interface BinlogStreamOptions {
  url: string;
  /** Replica id this reader announces to the source. */
  replicaServerId: number;
  databases: string[];
  /** Tables whose rows are passed over (database, table). */
  skipTables?: readonly { database: string; table: string }[];
  /**
   * The columns of tables (by `database.table`) as they were where reading starts, used for
   * their rows until their next DDL, which removes them from the map. information_schema knows
   * only a table's columns now, and a binlog without FULL row metadata does not name them.
   */
  columnsUntilDdl?: Map<string, ColumnSchema[]>;
  /**
   * Who decodes rows: the reader's own decoder (rows-decoder.ts; zongji still reads the stream and
   * the tables it does not decode), or zongji alone, kept to compare with.
   */
  rowsDecoder?: RowsDecoderChoice;
  onTransaction(transaction: BinlogTransaction): void;
  onError(error: Error & { code?: string | number; errno?: number }): void;
}

export type RowsDecoderChoice = 'builtin' | 'zongji';

const EVENTS = ['rotate', 'tablemap', 'writerows', 'updaterows', 'deleterows', 'query', 'xid', 'mariadbgtid', 'gtid', 'anonymousgtid'];

interface ZongJiEvent {
  getEventName(): string;
  nextPosition: number;
  size: number;
  timestamp: number;
  gtid?: string;
  serverId?: number;
  binlogName?: string;
  standalone?: boolean;
  query?: string;
  schema?: string;
  tableId?: number;
  tableMap?: Record<number, DescribedTable>;
  rows?: (Row | { before: Row; after: Row })[];
}

interface TableMapFetch {
  tableId: number;
  schemaName: string;
  tableName: string;
  columnCount: number;
}

/**
 * zongji, told the columns of a table whose rows it meets before the table's next DDL instead of
 * asking information_schema (see columnsUntilDdl). zongji offers no hook there: this overrides
 * its method that fetches a table's columns, falling back to it for every other table.
 */
/** The part of mysql2's packet zongji's binlog command reads. */
interface BinlogPacketData {
  buffer: Buffer;
  offset: number;
  end: number;
}

type BinlogData = (this: unknown, packet: BinlogPacketData, connection: unknown) => unknown;

class ZongJiWithColumns extends ZongJi {
  constructor(dsn: ConstructorParameters<typeof ZongJi>[0], private readonly columnsOf: (fetch: TableMapFetch) => ColumnSchema[] | undefined) {
    super(dsn);
  }

  _fetchTableInfo(fetch: TableMapFetch, next: () => void): void {
    const columns = this.columnsOf(fetch);
    if (!columns) {
      (ZongJi.prototype as unknown as { _fetchTableInfo(this: ZongJi, fetch: TableMapFetch, next: () => void): void })._fetchTableInfo.call(this, fetch, next);
      return;
    }
    // Copies: zongji writes signedness into them, and this stream ENUM/SET labels.
    this.tableMap[fetch.tableId] = { columnSchemas: columns.map((column) => ({ ...column })), parentSchema: fetch.schemaName, tableName: fetch.tableName };
    next();
  }
}

export class BinlogStream {
  private zongji: ZongJi | undefined;
  private file = '';
  private open: BinlogTransaction | undefined;
  private stopped = false;
  /**
   * Set by the first error: nothing after it is handed over, so a transaction zongji decoded
   * without the rows it failed on never moves the position past them.
   */
  private failed = false;
  /** The own decoder of a table id, valid while zongji keeps the same columns for it. */
  private readonly decoders = new Map<number, { columns: unknown; decoder: TableDecoder | undefined }>();
  /** The last TableMap body zongji described each table id from: an equal one changes nothing. */
  private readonly tableMapBodies = new Map<number, Buffer>();

  constructor(private readonly options: BinlogStreamOptions) {}

  start(from: StreamStart): void {
    const target = parseMysqlUrl(this.options.url);
    // Values as the snapshot's SELECT returns them; see column-values.ts for the final form.
    const zongji = new ZongJiWithColumns({
      host: target.host, port: target.port, user: target.user, password: target.password,
      dateStrings: true, timezone: 'Z', supportBigNumbers: true, bigNumberStrings: false, decimalNumbers: false, jsonStrings: true,
    } as never, ({ schemaName, tableName, columnCount }) => {
      const columns = this.options.columnsUntilDdl?.get(`${schemaName}.${tableName}`);
      return columns?.length === columnCount ? columns : undefined;
    });
    this.zongji = zongji;
    this.open = undefined;
    if ('file' in from) this.file = from.file;
    this.failed = false;
    zongji.on('binlog', (event: ZongJiEvent) => {
      if (this.failed) return;
      try {
        this.handle(event);
      } catch (error) {
        this.failed = true;
        this.options.onError(error as Error);
      }
    });
    zongji.on('error', (error: Error) => {
      if (this.stopped) return;
      this.failed = true;
      this.options.onError(decodingError(error));
    });
    if ((this.options.rowsDecoder ?? 'builtin') === 'builtin') zongji.once('ready', () => this.decodeRowsOwn(zongji));
    const includeSchema = Object.fromEntries(this.options.databases.map((db) => [db, true as const]));
    const excludeSchema: Record<string, string[]> = {};
    for (const { database, table } of this.options.skipTables ?? []) (excludeSchema[database] ??= []).push(table);
    zongji.start({
      serverId: this.options.replicaServerId,
      includeEvents: EVENTS,
      includeSchema,
      excludeSchema,
      ...('file' in from ? { filename: from.file, position: from.pos } : { gtidSet: from.gtid }),
    });
  }

  /** Hands nothing more over: the reader will read on from its own position with another stream. */
  halt(): void {
    this.failed = true;
  }

  /** Stops reading from the socket until resume(): the consumer is behind. */
  pause(): void {
    (this.zongji as unknown as { connection?: { pause(): void } } | undefined)?.connection?.pause();
  }

  resume(): void {
    (this.zongji as unknown as { connection?: { resume(): void } } | undefined)?.connection?.resume();
  }

  stop(): Promise<void> {
    this.stopped = true;
    const zongji = this.zongji;
    this.zongji = undefined;
    if (!zongji) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, 2000);
      zongji.once('stopped', () => {
        clearTimeout(timer);
        resolve();
      });
      zongji.stop();
    });
  }

  private begin(event: ZongJiEvent): BinlogTransaction {
    this.open = {
      gtid: event.gtid ?? null, serverId: event.serverId ?? 0, timestampMs: event.timestamp,
      file: this.file, endPos: event.nextPosition, changes: [], ddl: [],
    };
    return this.open;
  }

  private finish(endPos: number): void {
    const transaction = this.open;
    this.open = undefined;
    if (!transaction) return;
    transaction.endPos = endPos;
    transaction.file = this.file;
    this.options.onTransaction(transaction);
  }

  private handle(event: ZongJiEvent): void {
    const name = event.getEventName();
    switch (name) {
      case 'rotate':
        this.file = event.binlogName!;
        // Table ids are the server's: after a restart they may name other tables.
        this.decoders.clear();
        this.tableMapBodies.clear();
        return;
      case 'mariadbgtid':
      case 'gtid':
      case 'anonymousgtid':
        this.begin(event);
        return;
      case 'xid':
        this.finish(event.nextPosition);
        return;
      case 'query': {
        const sql = (event.query ?? '').trim();
        if (/^BEGIN$/i.test(sql)) {
          if (!this.open) this.begin(event);
          return;
        }
        if (/^(COMMIT|ROLLBACK)$/i.test(sql)) {
          this.finish(event.nextPosition);
          return;
        }
        // DDL is a transaction of its own (MariaDB marks its GTID standalone; MySQL has no BEGIN).
        this.forgetColumns(sql);
        this.decoders.clear();
        this.tableMapBodies.clear();
        const transaction = this.open ?? this.begin(event);
        transaction.ddl.push({ database: event.schema ?? '', sql, pos: this.eventStart(event) });
        this.finish(event.nextPosition);
        return;
      }
      case 'tablemap':
        this.labelEnumsAndSets(event.tableId!);
        return;
      default:
        this.rows(name, event);
    }
  }

  /**
   * Past DDL on a table its rows may have other columns than those known from before: forget
   * them. Any statement that mentions the table counts (a leading comment, ALTER ONLINE, a
   * multi-table RENAME...): forgetting too much only means asking information_schema.
   */
  private forgetColumns(sql: string): void {
    const known = this.options.columnsUntilDdl;
    if (!known || known.size === 0) return;
    const text = sql.toLowerCase();
    const tableMap = this.zongji?.tableMap ?? {};
    for (const key of [...known.keys()]) {
      const table = key.slice(key.indexOf('.') + 1);
      if (!text.includes(table.toLowerCase())) continue;
      known.delete(key);
      for (const [id, entry] of Object.entries(tableMap)) {
        if (`${entry.parentSchema}.${entry.tableName}` === key) delete tableMap[Number(id)];
      }
    }
  }

  /**
   * Without FULL row metadata the binlog carries no ENUM/SET labels, and zongji would take them
   * from COLUMN_TYPE split on every comma (so a label holding a comma or a quote comes out
   * wrong). The table's column schemas are in place when its TableMap is handed over and its
   * rows are decoded after, so the labels read properly go there first.
   */
  private labelEnumsAndSets(tableId: number): void {
    for (const column of this.zongji?.tableMap[tableId]?.columnSchemas ?? []) {
      if (column.ENUM_VALUES || column.SET_VALUES) continue;
      const parsed = enumSetLabels(column.COLUMN_TYPE);
      if (parsed?.kind === 'enum') column.ENUM_VALUES = parsed.labels;
      else if (parsed?.kind === 'set') column.SET_VALUES = parsed.labels;
    }
  }

  /**
   * Where the event starts in the binlog (what SHOW BINLOG EVENTS and Debezium call its position):
   * zongji's `size` leaves out the 19-byte common header and, when the server checksums events,
   * the 4-byte checksum.
   */
  private eventStart(event: ZongJiEvent): number {
    const checksum = (this.zongji as unknown as { useChecksum?: boolean } | undefined)?.useChecksum ? 4 : 0;
    return event.nextPosition - event.size - 19 - checksum;
  }

  /**
   * Takes over what zongji spends most of its time on: decoding row images value by value, and
   * describing a table again from every TableMap (once per transaction). Its connection reads
   * on; this looks at each packet first (zongji's binlog command of this connection, patched
   * before it is sent) and hands the rest over, so zongji still reads everything else, and the
   * rows of tables the own decoder does not decode. Row events of a table id zongji described
   * are framed here with the decoder made once from that description, their images kept as bytes
   * (EncodedRows) until the change events are written from them; a TableMap equal byte for byte
   * to the one it was made from is passed over. DDL and rotations forget both.
   */
  private decodeRowsOwn(zongji: ZongJi): void {
    const internals = zongji as unknown as { BinlogClass?: { prototype: { binlogData: BinlogData } } };
    const binlog = internals.BinlogClass?.prototype;
    if (!binlog) return;
    const zongjiReads = binlog.binlogData;
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const stream = this;
    binlog.binlogData = function (this: unknown, packet: BinlogPacketData, connection: unknown) {
      let read: boolean;
      try {
        read = stream.readOwn(zongji, packet);
      } catch (error) {
        // As an error of zongji's own decoding: nothing after it is handed over.
        stream.failed = true;
        stream.options.onError(error as Error);
        return binlog.binlogData;
      }
      return read ? binlog.binlogData : zongjiReads.call(this, packet, connection);
    };
  }

  /** Whether the packet was a TableMap or rows event read here (else zongji reads it). */
  private readOwn(zongji: ZongJi, packet: BinlogPacketData): boolean {
    const buffer = packet.buffer;
    const at = packet.offset;
    // An OK marker starts every event; EOF and errors are zongji's.
    if (buffer[at] !== 0 || packet.end - at < 20) return false;
    const type = buffer[at + 5]!;
    const update = type === 24 || type === 31;
    if (type !== 19 && (type < 23 || type > 25) && (type < 30 || type > 32)) return false;
    const internals = zongji as unknown as { stopped?: boolean; useChecksum?: boolean; tableMap: Record<number, DescribedTable> };
    if (internals.stopped || this.failed) return true;
    const body = at + 20;
    const end = packet.end - (internals.useChecksum ? 4 : 0);
    const tableId = buffer.readUIntLE(body, 6);
    const table = internals.tableMap[tableId];
    if (type === 19) {
      const known = this.tableMapBodies.get(tableId);
      const same = known !== undefined && table?.columns !== undefined && this.decoders.get(tableId)?.columns === table.columns &&
        known.length === end - body && buffer.compare(known, 0, known.length, body, end) === 0;
      if (same) return true;
      this.tableMapBodies.set(tableId, Buffer.from(buffer.subarray(body, end)));
      return false;
    }
    if (!table?.columns) return false;
    let cached = this.decoders.get(tableId);
    if (!cached || cached.columns !== table.columns) {
      cached = { columns: table.columns, decoder: compileTableDecoder(table) };
      this.decoders.set(tableId, cached);
    }
    const decoder = cached.decoder;
    if (!decoder) return false;
    let p = body + 8;
    // Version 2 events carry extra data, its length counting its own two bytes.
    if (type >= 30) p += buffer.readUInt16LE(p);
    const first = buffer[p]!;
    if (first >= 251) return false;
    p += 1;
    if (first !== decoder.columnNames.length) return false;
    const bitmapBytes = (first + 7) >> 3;
    const eventEnd = buffer.readUInt32LE(at + 14);
    const eventLength = buffer.readUInt32LE(at + 10);
    const pos = eventEnd - eventLength;
    // The bitmaps and images, copied out of the connection's buffer: they are written as JSON later.
    const bytes = Buffer.from(buffer.subarray(p, end));
    const imagesAt = bitmapBytes * (update ? 2 : 1);
    const images = new EncodedRows(decoder, bytes, imagesAt, bytes.subarray(0, bitmapBytes), update ? bytes.subarray(bitmapBytes, imagesAt) : undefined, pos);
    // As begin() from a zongji rows event, which carries no server id.
    const transaction = this.open ?? this.beginAt(buffer.readUInt32LE(at + 1) * 1000, 0, eventEnd);
    const op = type === 23 || type === 30 ? 'c' : type === 25 || type === 32 ? 'd' : 'u';
    const { database, table: tableName, columnTypes, binaryColumns } = decoder;
    const rows = op === 'u' ? images.images >> 1 : images.images;
    for (let index = 0; index < rows; index++) {
      transaction.changes.push(new EncodedRowChange(op, database, tableName, columnTypes, pos, index, binaryColumns, images));
    }
    return true;
  }

  private beginAt(timestampMs: number, serverId: number, nextPosition: number): BinlogTransaction {
    const gtid = (this.zongji as unknown as { _currentGtid?: string } | undefined)?._currentGtid ?? null;
    this.open = { gtid, serverId, timestampMs, file: this.file, endPos: nextPosition, changes: [], ddl: [] };
    return this.open;
  }

  private rows(name: string, event: ZongJiEvent): void {
    const table = event.tableMap?.[event.tableId!];
    if (!table || !event.rows) return;
    const transaction = this.open ?? this.begin(event);
    const columnTypes = new Map((table.columns ?? []).map((c) => [c.name, c.type]));
    const pos = this.eventStart(event);
    const op = name === 'writerows' ? 'c' : name === 'deleterows' ? 'd' : 'u';
    const { parentSchema: database, tableName } = table;
    // One object literal per row, every row the same shape (a spread per row showed in profiles).
    for (let index = 0; index < event.rows.length; index++) {
      const row = event.rows[index]!;
      const before = op === 'c' ? null : op === 'd' ? row as Row : (row as { before: Row }).before;
      const after = op === 'd' ? null : op === 'c' ? row as Row : (row as { after: Row }).after;
      transaction.changes.push({ database, table: tableName, columnTypes, pos, row: index, op, before, after });
    }
  }
}
