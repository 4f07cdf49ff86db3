// The fault harness's checker: MySQL against every copy the platform keeps. For each copy, how
// many rows it checked and how many are lost (in MySQL, missing from the copy), phantom (in the
// copy, not in MySQL) or stale (in both, in an older state, or not yet in a final state). After a
// run has caught up, every count but `checked` must be 0.
import type { ClickHouseClient } from '@clickhouse/client';
import type { Pool, RowDataPacket } from '../../marketplace/mysql/connection.js';
import type { DomainEventMessage } from '../../pipelines/cdc/outbox-router.js';
import { verify } from '../../pipelines/sinks/search/rebuild.js';
import type { SearchService } from '../../pipelines/sinks/search/port.js';
import { recipients } from '../../pipelines/sinks/webhooks/webhook-worker.js';
import { verifyWarehouse } from '../../warehouse/backfill.js';
import { EVENTS_TABLE, RAW_DATABASE } from '../../warehouse/raw-schema.js';

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
    rows.push({ copy: `warehouse: ${table.table}`, checked: table.mysqlRows, lost: table.missing.length, phantom: table.phantom.length, stale: table.different.length });
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
