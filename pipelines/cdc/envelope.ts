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
  // Written out rather than stringifying an object made for it: every change has a key.
  let text = '{';
  for (const column of primaryKey) {
    // A column the row lacks is left out, as JSON.stringify leaves out an undefined member.
    const value = JSON.stringify(row[column]) as string | undefined;
    if (value === undefined) continue;
    text += `${text.length > 1 ? ',' : ''}${JSON.stringify(column)}:${value}`;
  }
  return `${text}}`;
}

/** What changes from one change event of a transaction to the next. */
export interface ChangeText {
  op: ChangeOp;
  before: Row | null;
  after: Row | null;
  pos: number;
  row: number;
  sequence: string;
  totalOrder: number;
  tableOrder: number;
}

/** What every change event of one table in one transaction shares. */
export interface ChangeTextShared {
  /** The source's members from its start up to `pos` (see changeSourceHead). */
  sourceHead: string;
  /** The source's members after `sequence`, and the envelope's up to the transaction's total_order. */
  gtid: string | null;
  tsMs: number;
  serverId: number;
  now: number;
  transactionId: string;
}

/** The source's members before `pos`, as JSON.stringify writes a ChangeEnvelope's source. */
export function changeSourceHead(name: string, db: string, table: string, file: string): string {
  return `{"version":${JSON.stringify(CONNECTOR_VERSION)},"connector":"mysql","name":${JSON.stringify(name)},"db":${JSON.stringify(db)},"thread":null,"query":null,"table":${JSON.stringify(table)},"file":${JSON.stringify(file)},"pos":`;
}

/**
 * A streamed change's envelope as JSON, exactly as JSON.stringify writes the ChangeEnvelope
 * (snapshot 'false', with a transaction), without building the envelope and source objects
 * first: at catch-up every row change passes here.
 */
export function changeEnvelopeText(shared: ChangeTextShared, change: ChangeText): string {
  return `{"before":${change.before === null ? 'null' : JSON.stringify(change.before)},"after":${change.after === null ? 'null' : JSON.stringify(change.after)}${changeEnvelopeTail(shared, change)}`;
}

/**
 * The envelope's text after its `after` image, for a writer that puts the images in itself
 * (row-json.ts): `{"before":`, the image or null, `,"after":`, the image or null, then this.
 */
export function changeEnvelopeTail(shared: ChangeTextShared, change: Omit<ChangeText, 'before' | 'after'>): string {
  const [source, gtid, serverId, transaction] = changeTailParts(shared);
  return `${source}${change.pos},"row":${change.row}${gtid}${change.sequence}${serverId}${change.op}${transaction}${change.totalOrder},"data_collection_order":${change.tableOrder}}}`;
}

/**
 * What changeEnvelopeTail's text is made of between the values of each change: before `pos`,
 * before `sequence`, before `op`, before `total_order`'s value.
 */
export function changeTailParts(shared: ChangeTextShared): [string, string, string, string] {
  return [
    `,"source":${shared.sourceHead}`,
    `,"gtid":${shared.gtid === null ? 'null' : JSON.stringify(shared.gtid)},"ts_ms":${shared.tsMs},"snapshot":"false","sequence":"`,
    `","server_id":${shared.serverId}},"op":"`,
    `","ts_ms":${shared.now},"transaction":{"id":${JSON.stringify(shared.transactionId)},"total_order":`,
  ];
}
