// Webhooks: a consumer group on the domain-event topics turns each event into one delivery row per
// subscribed endpoint (idempotent: one row per endpoint and event), and a dispatcher sends due
// deliveries, signed per Standard Webhooks, retrying on the published schedule. The schedule lives
// in MySQL, so retries survive restarts; a worker dying mid-send leaves a lease that expires.
import { signatureHeader } from '../../../api/client/webhooks.js';
import { PoisonMessage } from '../../../core/errors.js';
import type { Logger } from '../../../core/log.js';
import type { Pool, RowDataPacket } from '../../../marketplace/mysql/connection.js';
import type { Bus, BusMessage } from '../../bus/port.js';
import type { DomainEventMessage } from '../../cdc/outbox-router.js';
import { eventsTopicPattern } from '../../cdc/topics.js';
import { ConsumerRunner } from '../../consumers/runner.js';
import { parseMessage } from '../../consumers/parse-message.js';
import { claimDue } from '../outbound/claim-due.js';
import { PollLoop } from '../outbound/poll-loop.js';
import { assertDeliverable } from './address-guard.js';
import { nextAttemptDelayMs, WEBHOOK_RETRY_SCHEDULE_MS } from './retry-schedule.js';

export const WEBHOOKS_GROUP = 'webhooks';
const LEASE_SECONDS = 60;

/** The users an event is about, whose endpoints receive it. */
export function recipients(event: DomainEventMessage): number[] {
  const data = (event.payload ?? {}) as Record<string, unknown>;
  const ids = (() => {
    switch (event.type) {
      case 'order.placed': return [data.seller_id, data.buyer_id];
      case 'message.received': return [data.recipient_id];
      case 'user.signed_up': return [data.id];
      default: return [data.seller_id ?? data.user_id];
    }
  })();
  return [...new Set(ids.map(Number).filter((id) => Number.isSafeInteger(id) && id > 0))];
}

export interface WebhookWorkerOptions {
  bus: Bus;
  pool: Pool;
  topicPrefix: string;
  log: Logger;
  allowPrivate: boolean;
  timeoutMs?: number;
  schedule?: readonly number[];
  pollMs?: number;
}

export function startWebhookEnqueuer(options: WebhookWorkerOptions): ConsumerRunner {
  const handler = async (messages: BusMessage[]) => {
    const events = messages.map((m) => parseMessage<DomainEventMessage>(m, 'a domain event'));
    const users = [...new Set(events.flatMap(recipients))];
    if (users.length === 0) return;
    const [endpoints] = await options.pool.query<RowDataPacket[]>(
      'SELECT id, user_id, event_types FROM webhook_endpoints WHERE enabled = 1 AND user_id IN (?)', [users],
    );
    const rows: unknown[][] = [];
    for (const event of events) {
      const to = new Set(recipients(event));
      for (const endpoint of endpoints) {
        const types = (typeof endpoint.event_types === 'string' ? JSON.parse(endpoint.event_types) : endpoint.event_types) as string[];
        if (!to.has(Number(endpoint.user_id)) || (types.length > 0 && !types.includes(event.type))) continue;
        const body = JSON.stringify({ type: event.type, timestamp: event.created_at, data: event.payload });
        rows.push([endpoint.id, event.id, event.type, body]);
      }
    }
    // INSERT IGNORE on (endpoint_id, event_id): a redelivered event adds no second delivery.
    if (rows.length > 0) {
      await options.pool.query('INSERT IGNORE INTO webhook_deliveries (endpoint_id, event_id, event_type, payload, next_attempt_at) VALUES ?',
        [rows.map((row) => [...row, new Date()])]);
    }
  };
  return new ConsumerRunner({
    bus: options.bus, group: WEBHOOKS_GROUP, topics: [eventsTopicPattern(options.topicPrefix)],
    topicPrefix: options.topicPrefix, handler, log: options.log.child({ role: 'webhooks' }),
  });
}

interface DueDelivery {
  id: number;
  event_id: string;
  payload: string;
  attempts: number;
  url: string;
  secret: string;
  previous_secret: string | null;
  previous_secret_expires_at: string | null;
}

export class WebhookDispatcher {
  private readonly loop: PollLoop;

  constructor(private readonly options: WebhookWorkerOptions) {
    this.loop = new PollLoop(() => this.tick(), options.pollMs ?? 200, (error) => options.log.error({ err: error }, 'webhook dispatch failed'));
  }

  start(): void {
    this.loop.start();
  }

  /** Finishes the sends in hand. */
  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** Claims due deliveries and sends them. */
  async tick(): Promise<number> {
    const ids = await claimDue(this.options.pool, { table: 'webhook_deliveries', waiting: ['pending', 'retrying'], inFlight: 'sending', leaseSeconds: LEASE_SECONDS, limit: 20 });
    if (ids.length === 0) return 0;
    const [rows] = await this.options.pool.query<RowDataPacket[]>(
      `SELECT d.id, d.event_id, d.payload, d.attempts, e.url, e.secret, e.previous_secret, e.previous_secret_expires_at
       FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id WHERE d.id IN (?)`, [ids],
    );
    await Promise.all((rows as DueDelivery[]).map((delivery) => this.send(delivery)));
    return ids.length;
  }

  private async send(delivery: DueDelivery): Promise<void> {
    const attempt = Number(delivery.attempts) + 1;
    const started = Date.now();
    let code: number | null = null;
    let error: string | null = null;
    let fatal = false;
    try {
      await assertDeliverable(delivery.url, this.options.allowPrivate);
      const body = typeof delivery.payload === 'string' ? delivery.payload : JSON.stringify(delivery.payload);
      const timestamp = Math.floor(Date.now() / 1000);
      const id = `msg_${delivery.event_id}`;
      const secrets = [delivery.secret];
      if (delivery.previous_secret && delivery.previous_secret_expires_at && new Date(`${delivery.previous_secret_expires_at.replace(' ', 'T')}Z`) > new Date()) {
        secrets.push(delivery.previous_secret);
      }
      const response = await fetch(delivery.url, {
        method: 'POST', body, redirect: 'manual', signal: AbortSignal.timeout(this.options.timeoutMs ?? 15_000),
        headers: {
          'content-type': 'application/json', 'user-agent': 'Steveslist-Webhooks/1',
          'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': signatureHeader(secrets, id, timestamp, body),
        },
      });
      code = response.status;
      const text = await response.text().catch(() => '');
      if (code < 200 || code >= 300) error = `HTTP ${code}: ${text.slice(0, 200)}`;
    } catch (caught) {
      fatal = caught instanceof PoisonMessage;
      // fetch says only "fetch failed"; the cause names what happened (ECONNREFUSED, a timeout...).
      const cause = (caught as { cause?: { code?: string; message?: string } }).cause;
      const detail = (caught as Error).name === 'TimeoutError' ? `no response within ${(this.options.timeoutMs ?? 15_000) / 1000} s` : cause?.code ?? cause?.message;
      error = `${(caught as Error).message}${detail ? ` (${detail})` : ''}`.slice(0, 1000);
    }
    const latency = Date.now() - started;
    if (!error) {
      await this.options.pool.query(
        "UPDATE webhook_deliveries SET status = 'succeeded', attempts = ?, last_attempt_at = UTC_TIMESTAMP(6), last_response_code = ?, last_latency_ms = ?, last_error = NULL, lease_until = NULL WHERE id = ?",
        [attempt, code, latency, delivery.id],
      );
      return;
    }
    const delay = fatal ? undefined : nextAttemptDelayMs(attempt, this.options.schedule ?? WEBHOOK_RETRY_SCHEDULE_MS);
    const status = fatal ? 'failed' : delay === undefined ? 'dead' : 'retrying';
    await this.options.pool.query(
      `UPDATE webhook_deliveries SET status = ?, attempts = ?, last_attempt_at = UTC_TIMESTAMP(6), last_response_code = ?, last_latency_ms = ?, last_error = ?,
         lease_until = NULL, next_attempt_at = ${delay === undefined ? 'NULL' : 'UTC_TIMESTAMP(6) + INTERVAL ? MICROSECOND'} WHERE id = ?`,
      [status, attempt, code, latency, error, ...(delay === undefined ? [] : [delay * 1000]), delivery.id],
    );
    this.options.log.warn({ delivery: delivery.id, attempt, status, code, latencyMs: latency }, 'webhook delivery failed');
  }
}
