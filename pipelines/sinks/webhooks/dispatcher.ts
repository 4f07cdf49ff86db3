// Sends due webhook deliveries, signed per Standard Webhooks, and records every attempt. A failure
// is retried on the published schedule, which lives in MySQL, so retries survive restarts; a
// worker dying mid-send leaves a lease that expires. An endpoint that keeps failing for days is
// disabled and its owner emailed.
import { performance } from 'node:perf_hooks';
import type { Agent, Response } from 'undici';
import { signatureHeader } from '../../../core/webhook-signature.js';
import { PoisonMessage } from '../../../core/errors.js';
import { onFirstUse } from '../../../core/load-on-first-use.js';
import type { Logger } from '../../../core/log.js';
import type { RoleReporter } from '../../../core/role-health.js';
import { withTransaction } from '../../../marketplace/domain/transaction.js';
import { uuidV7 } from '../../../marketplace/domain/uuid-v7.js';
import type { Pool, PoolConnection, ResultSetHeader, RowDataPacket } from '../../../marketplace/mysql/connection.js';
import { claimDueWithin } from '../outbound/claim-due.js';
import { PollLoop } from '../outbound/poll-loop.js';
import { assertDeliverable, deliveryAgent } from './address-guard.js';
import { insertAttempts, type AttemptOutcome } from './attempts.js';
import { nextAttemptDelayMs, WEBHOOK_RETRY_SCHEDULE_MS } from './retry-schedule.js';
import { writeSuccesses, type SuccessRecord } from './success-records.js';

const undici = onFirstUse<typeof import('undici')>('undici');

const LEASE_SECONDS = 60;
/** How much of a receiver's answer is kept (the attempts table's response_body). */
const RESPONSE_BODY_CHARS = 500;
const DAY_MS = 86_400_000;
/** How long an endpoint may fail every delivery before it is disabled. */
export const DEFAULT_DISABLE_AFTER_MS = 5 * DAY_MS;
/**
 * One endpoint's sends at once. A delivery holds its slot for the send plus a commit or two (tens
 * of milliseconds where commits wait for the disk), so this bounds one endpoint's rate: 32 slots
 * carry several hundred deliveries a second. It is also what a receiver that hangs takes from the
 * others: an eighth of DEFAULT_MAX_IN_FLIGHT, so eight hanging receivers are needed to stall all.
 */
const DEFAULT_MAX_IN_FLIGHT_PER_ENDPOINT = 32;
const DEFAULT_MAX_IN_FLIGHT = 256;

export interface WebhookDispatcherOptions {
  pool: Pool;
  log: Logger;
  allowPrivate: boolean;
  timeoutMs?: number;
  schedule?: readonly number[];
  pollMs?: number;
  disableAfterMs?: number;
  /** Sends in flight at once, over all endpoints. */
  maxInFlight?: number;
  /** Sends in flight at once to one endpoint: a receiver that hangs holds no more than these. */
  maxInFlightPerEndpoint?: number;
  /**
   * The clock that schedules attempts and judges how long an endpoint has failed. Signatures
   * always carry the real time: receivers reject stale timestamps.
   */
  clock?: () => Date;
  /** Told of every failed and succeeded cycle, so /health shows the dispatcher degraded while it fails. */
  health?: RoleReporter;
}

interface DueDelivery {
  id: number;
  endpoint_id: number;
  event_id: string;
  payload: string;
  attempts: number;
  schedule_step: number;
  url: string;
  enabled: number;
  secret: string;
  previous_secret: string | null;
  previous_secret_expires_at: string | null;
}

function utc(value: string | null): Date | undefined {
  return value ? new Date(`${value.replace(' ', 'T')}Z`) : undefined;
}

interface Send {
  endpoint: number;
  /** The attempt is over: a failure is recorded, a success waits in `succeeded` for the next cycle. */
  attempted: Promise<void>;
  /** The outcome is committed. */
  done: Promise<void>;
}

export class WebhookDispatcher {
  private readonly loop: PollLoop;
  private readonly clock: () => Date;
  private readonly agent: Agent;
  /** Sends under way, by delivery id. */
  private readonly inFlight = new Map<number, Send>();
  /** Successes the next cycle commits, with what ends their sends. */
  private succeeded: { record: SuccessRecord; settle: (error?: unknown) => void }[] = [];

  constructor(private readonly options: WebhookDispatcherOptions) {
    this.clock = options.clock ?? (() => new Date());
    this.agent = deliveryAgent(options.allowPrivate);
    this.loop = new PollLoop(() => this.cycle(true), options.pollMs ?? 200, (error) => options.log.error({ err: error }, 'webhook dispatch failed'), options.health);
  }

  start(): void {
    this.loop.start();
  }

  /** Finishes the sends in hand and records them. */
  async stop(): Promise<void> {
    await this.loop.stop();
    await this.settle();
    await this.agent.close();
  }

  /** Claims due deliveries, sends them and records the outcomes; returns how many it claimed. */
  async tick(): Promise<number> {
    const started = await this.cycle(true);
    await this.settle();
    return started.length;
  }

  /** Waits for every send under way and commits their outcomes. */
  private async settle(): Promise<void> {
    const sends = [...this.inFlight.values()];
    await Promise.all(sends.map((send) => send.attempted));
    if (this.succeeded.length > 0) await this.cycle(false).catch(() => undefined);
    await Promise.all(sends.map((send) => send.done));
  }

  /**
   * One commit: the successes finished since the last cycle are recorded, and the room they and
   * the others leave is claimed again. Sends start without being waited for, so one receiver that
   * hangs until the timeout holds only its own share of slots, not everyone's; and a busy
   * endpoint costs one commit per batch of sends, not two per send (each commit waits for the
   * disk).
   */
  private async cycle(claim: boolean): Promise<Send[]> {
    const succeeded = this.succeeded;
    this.succeeded = [];
    const recorded = new Set(succeeded.map(({ record }) => record.deliveryId));
    const busy = new Map<number, number>();
    for (const [id, send] of this.inFlight) if (!recorded.has(id)) busy.set(send.endpoint, (busy.get(send.endpoint) ?? 0) + 1);
    const room = claim ? (this.options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT) - (this.inFlight.size - recorded.size) : 0;
    let ids: number[];
    try {
      ids = await withTransaction(this.options.pool, async (connection) => {
        await writeSuccesses(connection, succeeded.map(({ record }) => record));
        if (room <= 0) return [];
        return claimDueWithin(connection, {
          table: 'webhook_deliveries', waiting: ['pending', 'retrying'], inFlight: 'sending', leaseSeconds: LEASE_SECONDS,
          limit: room, now: this.clock(), perGroup: { column: 'endpoint_id', max: this.options.maxInFlightPerEndpoint ?? DEFAULT_MAX_IN_FLIGHT_PER_ENDPOINT, busy },
        });
      });
    } catch (error) {
      // The successes stay queued for the next cycle; if none comes, their leases expire and
      // they are sent again (at least once).
      if (this.loop.active()) this.succeeded.unshift(...succeeded);
      else for (const { settle } of succeeded) settle(error);
      throw error;
    }
    for (const { record, settle } of succeeded) {
      this.inFlight.delete(record.deliveryId);
      settle();
    }
    return this.send(ids);
  }

  private async send(ids: readonly number[]): Promise<Send[]> {
    if (ids.length === 0) return [];
    const [rows] = await this.options.pool.query<RowDataPacket[]>(
      `SELECT d.id, d.endpoint_id, d.event_id, d.payload, d.attempts, d.schedule_step, e.url, e.enabled, e.secret, e.previous_secret, e.previous_secret_expires_at
       FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id WHERE d.id IN (?) ORDER BY d.next_attempt_at, d.id`, [ids],
    );
    return (rows as DueDelivery[]).map((delivery) => {
      let markAttempted = () => undefined as void;
      const attempted = new Promise<void>((resolve) => { markAttempted = resolve; });
      const done = this.deliver(delivery, markAttempted)
        .catch((error: unknown) => this.options.log.error({ err: error, delivery: delivery.id }, 'webhook delivery failed to record; its lease expires and it is sent again'))
        .finally(() => {
          markAttempted();
          // A slot is free (unless a cycle already took it back): claim now rather than at the
          // next poll, or one endpoint's sends would run at most its share per poll interval.
          if (this.inFlight.delete(delivery.id)) this.loop.wake();
        });
      const send = { endpoint: Number(delivery.endpoint_id), attempted, done };
      this.inFlight.set(delivery.id, send);
      return send;
    });
  }

  private async deliver(delivery: DueDelivery, attempted: () => void): Promise<void> {
    if (!Number(delivery.enabled)) {
      // Kept, not sent: once the owner re-enables the endpoint, a replay of failed deliveries sends it.
      await this.options.pool.query(
        "UPDATE webhook_deliveries SET status = 'failed', last_error = 'the endpoint is disabled', lease_until = NULL, next_attempt_at = NULL WHERE id = ?", [delivery.id],
      );
      return;
    }
    const outcome = await this.attempt(delivery);
    if (outcome.error !== null) {
      await this.recordFailure(delivery, outcome);
      return;
    }
    const record = { deliveryId: delivery.id, endpointId: Number(delivery.endpoint_id), attempt: Number(delivery.attempts) + 1, outcome };
    await new Promise<void>((resolve, reject) => {
      this.succeeded.push({ record, settle: (error) => (error === undefined ? resolve() : reject(error)) });
      attempted();
      this.loop.wake();
    });
  }

  private async attempt(delivery: DueDelivery): Promise<AttemptOutcome> {
    const startedAt = this.clock();
    const started = performance.now();
    const timeoutMs = this.options.timeoutMs ?? 15_000;
    let code: number | null = null;
    let responseBody: string | null = null;
    try {
      // Names are checked on the addresses the socket connects to (the agent's lookup), not here.
      await assertDeliverable(delivery.url, this.options.allowPrivate, { resolveNames: false });
      const body = typeof delivery.payload === 'string' ? delivery.payload : JSON.stringify(delivery.payload);
      const timestamp = Math.floor(Date.now() / 1000);
      const id = `msg_${delivery.event_id}`;
      const secrets = [delivery.secret];
      const previousExpires = utc(delivery.previous_secret_expires_at);
      if (delivery.previous_secret && previousExpires && previousExpires.getTime() > Date.now()) secrets.push(delivery.previous_secret);
      const response = await undici().fetch(delivery.url, {
        method: 'POST', body, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs), dispatcher: this.agent,
        headers: {
          'content-type': 'application/json', 'user-agent': 'Steveslist-Webhooks/1',
          'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': signatureHeader(secrets, id, timestamp, body),
        },
      });
      code = response.status;
      responseBody = (await readPrefix(response, RESPONSE_BODY_CHARS)) || null;
      const error = code >= 200 && code < 300 ? null : `HTTP ${code}${responseBody ? `: ${responseBody.slice(0, 200)}` : ''}`;
      return { startedAt, latencyMs: Math.round(performance.now() - started), code, responseBody, error, fatal: false };
    } catch (caught) {
      // fetch says only "fetch failed"; the cause names what happened (ECONNREFUSED, a timeout, an
      // address refused when connecting...).
      const cause = (caught as { cause?: { code?: string; message?: string } }).cause;
      if (cause instanceof PoisonMessage) {
        return { startedAt, latencyMs: Math.round(performance.now() - started), code, responseBody, error: cause.message.slice(0, 1000), fatal: true };
      }
      const detail = (caught as Error).name === 'TimeoutError' ? `no response within ${timeoutMs / 1000} s` : cause?.code ?? cause?.message;
      const error = `${(caught as Error).message}${detail ? ` (${detail})` : ''}`.slice(0, 1000);
      return { startedAt, latencyMs: Math.round(performance.now() - started), code, responseBody, error, fatal: caught instanceof PoisonMessage };
    }
  }

  private async recordFailure(delivery: DueDelivery, outcome: AttemptOutcome): Promise<void> {
    const attempt = Number(delivery.attempts) + 1;
    const step = Number(delivery.schedule_step) + 1;
    const delay = outcome.fatal ? undefined : nextAttemptDelayMs(step, this.options.schedule ?? WEBHOOK_RETRY_SCHEDULE_MS);
    const status = outcome.fatal ? 'failed' : delay === undefined ? 'dead' : 'retrying';
    const now = this.clock();
    const next = delay === undefined ? null : new Date(now.getTime() + delay);
    const disabled = await withTransaction(this.options.pool, async (connection) => {
      await insertAttempts(connection, [{ deliveryId: delivery.id, attempt, outcome }]);
      await connection.query(
        `UPDATE webhook_deliveries SET status = ?, attempts = ?, schedule_step = ?, last_attempt_at = ?, last_response_code = ?, last_latency_ms = ?,
           last_error = ?, lease_until = NULL, next_attempt_at = ? WHERE id = ?`,
        [status, attempt, step, outcome.startedAt, outcome.code, outcome.latencyMs, outcome.error, next, delivery.id],
      );
      return this.disableIfFailingTooLong(connection, delivery, outcome, now);
    });
    this.options.log.warn({ delivery: delivery.id, endpoint: delivery.endpoint_id, attempt, status, code: outcome.code, latencyMs: outcome.latencyMs }, 'webhook delivery failed');
    if (disabled) this.options.log.warn({ endpoint: delivery.endpoint_id }, 'webhook endpoint disabled after failing for too long; owner emailed');
  }

  /** Marks the endpoint failing; disables it and queues the owner's email when that has lasted too long. */
  private async disableIfFailingTooLong(connection: PoolConnection, delivery: DueDelivery, outcome: AttemptOutcome, now: Date): Promise<boolean> {
    await connection.query('UPDATE webhook_endpoints SET failing_since = ? WHERE id = ? AND failing_since IS NULL', [now, delivery.endpoint_id]);
    const threshold = new Date(now.getTime() - (this.options.disableAfterMs ?? DEFAULT_DISABLE_AFTER_MS));
    const days = Math.round((this.options.disableAfterMs ?? DEFAULT_DISABLE_AFTER_MS) / DAY_MS * 10) / 10;
    const [result] = await connection.query<ResultSetHeader>(
      'UPDATE webhook_endpoints SET enabled = 0, disabled_reason = ? WHERE id = ? AND enabled = 1 AND failing_since <= ?',
      [`every delivery failed for ${days} days`, delivery.endpoint_id, threshold],
    );
    if (result.affectedRows === 0) return false;
    const [owners] = await connection.query<RowDataPacket[]>(
      'SELECT u.id, u.email, e.url, e.failing_since FROM webhook_endpoints e JOIN users u ON u.id = e.user_id WHERE e.id = ?', [delivery.endpoint_id],
    );
    const owner = owners[0];
    if (owner) {
      const data = { endpoint_id: Number(delivery.endpoint_id), url: String(owner.url), failing_since: String(owner.failing_since), last_error: outcome.error, days };
      // A fresh id per disabling: the (event_id, template) key must not merge two separate ones.
      await connection.query(
        "INSERT INTO email_messages (user_id, event_id, template, to_address, subject, data, next_attempt_at) VALUES (?, ?, 'webhook_endpoint_disabled', ?, '', ?, ?)",
        [owner.id, uuidV7(now.getTime()), owner.email, JSON.stringify(data), new Date()],
      );
    }
    return true;
  }
}

/**
 * The start of the answer's body. Reading stops there: a receiver streaming without end must not
 * hold the sender until the timeout nor fill its memory. A body cut off by an error keeps what came.
 */
async function readPrefix(response: Response, maxChars: number): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  try {
    while (text.length < maxChars) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
  } catch {
    // The body broke off (reset, timeout): the status already says how the attempt went.
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return text.slice(0, maxChars);
}
