// The fault harness's checker: MySQL against every copy the platform keeps (the warehouse row by
// row, every column). For each copy, how many rows it checked and how many are lost (in MySQL, missing from the copy), phantom (in the
// copy, not in MySQL) or stale (in both, in an older state, or not yet in a final state). After a
// run has caught up, every count but `checked` must be 0.
import type { ClickHouseClient } from '@clickhouse/client';
import { DEFAULT_EXCLUDED_COLUMNS } from '../../core/config/index.js';
import type { Pool, RowDataPacket } from '../../marketplace/mysql/connection.js';
import type { DomainEventMessage } from '../../pipelines/cdc/outbox-router.js';
import { verify } from '../../pipelines/sinks/search/rebuild.js';
import type { SearchService } from '../../pipelines/sinks/search/port.js';
import { recipients } from '../../pipelines/sinks/webhooks/webhook-worker.js';
import { verifyWarehouse } from '../../warehouse/backfill.js';
import { EVENTS_TABLE, RAW_DATABASE, readSourceTable } from '../../warehouse/raw-schema.js';

export interface CheckRow {
  copy: string;
  checked: number;
  lost: number;
  phantom: number;
  stale: number;
}

export interface CheckInput {
  url: string;
  pool: Pool;
  database: string;
  search: SearchService;
  warehouse: ClickHouseClient;
  /** Outbox events written before change capture started: history, never sent. */
  history: ReadonlySet<string>;
  /** Webhook endpoints to check: their owner, and the event ids their receiver got (at least once each). */
  endpoints: { id: number; userId: number; received: ReadonlySet<string> }[];
}

async function outboxEvents(pool: Pool): Promise<DomainEventMessage[]> {
  const [rows] = await pool.query<RowDataPacket[]>('SELECT id, type, aggregate_type, aggregate_id, payload FROM outbox');
  return rows.map((row) => ({
    id: String(row.id), type: String(row.type), aggregate_type: String(row.aggregate_type), aggregate_id: String(row.aggregate_id),
    created_at: '', payload: typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload,
  }));
}

/**
 * A value as text both sides agree on: times as ISO with six fractional digits, numbers by value
 * (DECIMAL '12.50' and ClickHouse's 12.5), binaries as base64 (how the warehouse keeps them).
 */
function canonical(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Buffer.isBuffer(value)) return value.toString('base64');
  if (typeof value === 'object') return JSON.stringify(value);
  const text = String(value);
  const time = /^(\d{4}-\d\d-\d\d)[ T](\d\d:\d\d:\d\d)(?:\.(\d+))?Z?$/.exec(text);
  if (time) return `${time[1]}T${time[2]}.${(time[3] ?? '').padEnd(6, '0')}`;
  if (/^-?\d+(\.\d+)?$/.test(text) && Math.abs(Number(text)) < Number.MAX_SAFE_INTEGER) return String(Number(text));
  return text;
}

/**
 * Every column of every live row, MySQL against the warehouse (FINAL): the rows whose contents
 * differ.
 */
async function differingRows(input: CheckInput, table: string): Promise<number> {
  // Columns the warehouse does not keep (secrets excluded from capture) are left out.
  const source = await readSourceTable(input.pool, input.database, table);
  if (!source || source.primaryKey.length === 0) return 0;
  let warehouseRows: Record<string, unknown>[];
  try {
    warehouseRows = await (await input.warehouse.query({ query: `SELECT * FROM ${RAW_DATABASE}.\`${table}\` FINAL WHERE _is_deleted = 0`, format: 'JSONEachRow' })).json();
  } catch {
    return 0; // no table: the key check has counted every row as lost
  }
  const kept = new Set(Object.keys(warehouseRows[0] ?? {}));
  // Secret columns are never captured: the warehouse has them (its schema follows MySQL's) but empty.
  const excluded = new Set(DEFAULT_EXCLUDED_COLUMNS.filter((column) => column.startsWith(`${table}.`)).map((column) => column.slice(table.length + 1)));
  const columns = source.columns.map((column) => column.name).filter((name) => kept.has(name) && !excluded.has(name));
  const keyOf = (row: Record<string, unknown>) => source.primaryKey.map((column) => String(row[column])).join('/');
  const text = (row: Record<string, unknown>) => columns.map((column) => canonical(row[column])).join('\u0001');
  const stored = new Map(warehouseRows.map((row) => [keyOf(row), text(row)]));
  const [rows] = await input.pool.query<RowDataPacket[]>(`SELECT * FROM \`${table}\``);
  const differing = rows.filter((row) => stored.has(keyOf(row)) && stored.get(keyOf(row)) !== text(row));
  if (differing.length > 0) {
    const row = differing[0]!;
    const theirs = stored.get(keyOf(row))!.split('\u0001');
    const unlike = columns.filter((column, i) => canonical(row[column]) !== theirs[i]).map((column) => `${column}: ${canonical(row[column])} / ${theirs[columns.indexOf(column)]}`);
    process.stdout.write(`  ${table} ${keyOf(row)} differs (MySQL / warehouse): ${unlike.join('; ').slice(0, 500)}\n`);
  }
  return differing.length;
}

/** Every domain event in the warehouse's events table, once (FINAL). */
async function warehouseEvents(warehouse: ClickHouseClient): Promise<Set<string>> {
  const result = await warehouse.query({ query: `SELECT id FROM ${RAW_DATABASE}.${EVENTS_TABLE} FINAL`, format: 'JSONEachRow' });
  return new Set((await result.json<{ id: string }>()).map((row) => row.id));
}

export async function checkCopies(input: CheckInput): Promise<CheckRow[]> {
  const rows: CheckRow[] = [];
  const search = await verify({ url: input.url, search: input.search });
  rows.push({ copy: 'search: listings', checked: search.checked, lost: search.missing.length, phantom: search.phantom.length, stale: search.stale.length });

  for (const table of await verifyWarehouse({ url: input.url, pool: input.pool, database: input.database, client: input.warehouse })) {
    // Stale: an older updated_at, or any column's value other than MySQL's.
    const stale = Math.max(table.different.length, await differingRows(input, table.table));
    rows.push({ copy: `warehouse: ${table.table}`, checked: table.mysqlRows, lost: table.missing.length, phantom: table.phantom.length, stale });
  }

  const events = (await outboxEvents(input.pool)).filter((event) => !input.history.has(event.id));
  const ids = new Set(events.map((event) => event.id));
  const inWarehouse = await warehouseEvents(input.warehouse);
  rows.push({
    copy: `warehouse: ${EVENTS_TABLE}`, checked: ids.size,
    lost: [...ids].filter((id) => !inWarehouse.has(id)).length, phantom: [...inWarehouse].filter((id) => !ids.has(id)).length, stale: 0,
  });

  for (const endpoint of input.endpoints) {
    const due = new Set(events.filter((event) => recipients(event).includes(endpoint.userId)).map((event) => event.id));
    const [deliveries] = await input.pool.query<RowDataPacket[]>('SELECT event_id, status FROM webhook_deliveries WHERE endpoint_id = ?', [endpoint.id]);
    rows.push({
      copy: `webhooks: endpoint ${endpoint.id}`, checked: due.size,
      lost: [...due].filter((id) => !endpoint.received.has(id)).length,
      phantom: [...endpoint.received].filter((id) => !due.has(id)).length,
      // Delivered, yet the ledger does not say so (or says it will try again).
      stale: deliveries.filter((row) => row.status !== 'succeeded').length,
    });
  }

  const [emails] = await input.pool.query<RowDataPacket[]>('SELECT status, COUNT(*) AS n FROM email_messages GROUP BY status');
  const count = (statuses: string[]) => emails.filter((row) => statuses.includes(String(row.status))).reduce((sum, row) => sum + Number(row.n), 0);
  rows.push({
    copy: 'email: messages', checked: count(emails.map((row) => String(row.status))),
    lost: count(['dead']), phantom: 0, stale: count(['queued', 'rendering', 'sending', 'failed_retrying']),
  });
  return rows;
}

/** The checker's table, one line per copy. */
export function formatCheck(title: string, rows: readonly CheckRow[]): string {
  const lines = rows.map((row) => `  ${row.copy.padEnd(34)} checked ${String(row.checked).padStart(7)}  lost ${row.lost}  phantom ${row.phantom}  stale ${row.stale}`);
  return `\n${title}\n${lines.join('\n')}\n`;
}
