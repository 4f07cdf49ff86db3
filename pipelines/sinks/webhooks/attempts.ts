// One attempt to send a delivery, as the attempts table keeps it.
import type { PoolConnection } from '../../../marketplace/mysql/connection.js';

export interface AttemptOutcome {
  startedAt: Date;
  latencyMs: number;
  code: number | null;
  responseBody: string | null;
  error: string | null;
  /** Retrying cannot help (the address is refused): the delivery fails at once. */
  fatal: boolean;
}

export interface AttemptRecord {
  deliveryId: number;
  /** 1 for the first attempt. */
  attempt: number;
  outcome: AttemptOutcome;
}

/** Inserts the attempts in one statement. */
export async function insertAttempts(connection: PoolConnection, records: readonly AttemptRecord[]): Promise<void> {
  if (records.length === 0) return;
  await connection.query(
    'INSERT INTO webhook_delivery_attempts (delivery_id, attempt, started_at, latency_ms, response_code, response_body, error, succeeded) VALUES ?',
    [records.map(({ deliveryId, attempt, outcome }) => [
      deliveryId, attempt, outcome.startedAt, outcome.latencyMs, outcome.code, outcome.responseBody, outcome.error, outcome.error === null ? 1 : 0,
    ])],
  );
}
