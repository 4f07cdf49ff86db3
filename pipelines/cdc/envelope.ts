// The change-event contract: Debezium's envelope as JSON without schema, so consumers written
// for Debezium topics read ours unchanged and the other way round.

export type ChangeOp = 'c' | 'u' | 'd' | 'r' | 't';
export type Row = Record<string, unknown>;

export interface SourceInfo {
  version: string;
  connector: 'mysql';
  /** The topic prefix (Debezium's logical server name). */
  name: string;
  ts_ms: number;
  /** 'incremental' for rows read by a signalled (incremental) snapshot while streaming, as Debezium says. */
  snapshot: 'true' | 'last' | 'false' | 'incremental';
  db: string;
  /**
   * The row version as a decimal string: a clock the reader keeps (see event-version.ts) that
   * only grows, also across failover, re-snapshot and rebuilt sources. Debezium leaves it null.
   */
  sequence: string | null;
  table: string;
  server_id: number;
  gtid: string | null;
  file: string;
  pos: number;
  row: number;
  thread: number | null;
  query: string | null;
}

export interface TransactionInfo {
  id: string;
  total_order: number;
  data_collection_order: number;
}

export interface ChangeEnvelope {
  before: Row | null;
  after: Row | null;
  source: SourceInfo;
  op: ChangeOp;
  ts_ms: number;
  transaction: TransactionInfo | null;
}

export const CONNECTOR_VERSION = '1.0.0-steveslist';

/** The Kafka key of a row: its primary key columns as JSON, e.g. {"id":42}; null without a key. */
export function rowKey(primaryKey: readonly string[], row: Row): string | null {
  if (primaryKey.length === 0) return null;
  return JSON.stringify(Object.fromEntries(primaryKey.map((column) => [column, row[column]])));
}
