// Successful sends, recorded many at once in the caller's transaction: each commit waits for the
// disk (binlog and redo log are synced), so one commit per delivery would cap a busy endpoint at
// the disk's commit rate.
import type { PoolConnection, RowDataPacket } from '../../../marketplace/mysql/connection.js';
import { insertAttempts, type AttemptRecord } from './attempts.js';

export interface SuccessRecord extends AttemptRecord {
  endpointId: number;
}

export async function writeSuccesses(connection: PoolConnection, records: readonly SuccessRecord[]): Promise<void> {
  if (records.length === 0) return;
  await insertAttempts(connection, records);
  // One UPDATE for the batch; each row's own values come from a derived table joined on id.
  const values = records.map(() => 'SELECT ? AS id, ? AS attempts, ? AS started_at, ? AS code, ? AS latency_ms').join(' UNION ALL ');
  await connection.query(
    `UPDATE webhook_deliveries d JOIN (${values}) v ON v.id = d.id
     SET d.status = 'succeeded', d.attempts = v.attempts, d.schedule_step = d.schedule_step + 1, d.last_attempt_at = v.started_at,
         d.last_response_code = v.code, d.last_latency_ms = v.latency_ms, d.last_error = NULL, d.lease_until = NULL, d.next_attempt_at = NULL`,
    records.flatMap(({ deliveryId, attempt, outcome }) => [deliveryId, attempt, outcome.startedAt, outcome.code, outcome.latencyMs]),
  );
  // A success ends an endpoint's failing streak. Read first (no lock), update only those that
  // were failing: the UPDATE locks an endpoint's row even when it changes nothing, and new
  // deliveries' inserts (which check the endpoint's key) would queue behind it.
  const endpoints = [...new Set(records.map((record) => record.endpointId))];
  const [failing] = await connection.query<RowDataPacket[]>('SELECT id FROM webhook_endpoints WHERE id IN (?) AND failing_since IS NOT NULL', [endpoints]);
  if (failing.length > 0) {
    await connection.query('UPDATE webhook_endpoints SET failing_since = NULL WHERE id IN (?) AND failing_since IS NOT NULL', [failing.map((row) => row.id)]);
  }
}
