// SMS: a consumer group on the domain-event topics texts the users an event concerns, when they
// verified a number and want that kind of SMS. Each SMS is logged first (idempotent on event +
// kind, so a redelivered event never texts twice), then sent through the SMS port. What may pass
// (429, 5xx, network) fails the batch as retriable: the group's runner tries it again after its
// backoff, shows the role degraded meanwhile and logs one line per failing batch; the SMS log
// counts the attempts, so one still failing after the last is marked dead and its event
// dead-lettered with the reason. A refusal that retrying cannot change (an invalid number) is
// recorded, not retried.
import { PlatformError, SinkUnavailable } from '../../../core/errors.js';
import type { Logger } from '../../../core/log.js';
import type { RoleReporter } from '../../../core/role-health.js';
import type { Pool, RowDataPacket } from '../../../marketplace/mysql/connection.js';
import type { Bus, BusMessage } from '../../bus/port.js';
import type { DomainEventMessage } from '../../cdc/outbox-router.js';
import { eventsTopicPattern } from '../../cdc/topics.js';
import { ConsumerRunner } from '../../consumers/runner.js';
import { parseMessage } from '../../consumers/parse-message.js';
import { SmsSendError, type AcceptedSms, type SmsPort } from './port.js';
import { callbackUrlFor, recordAccepted, recordFailure } from './sms-log.js';
import { maskNumber, renderSms, smsFor, type WantedSms } from './texts.js';

export const SMS_GROUP = 'sms';
/** Attempts of one SMS, across the batch's redeliveries; after the last, it is dead. */
export const SMS_MAX_ATTEMPTS = 4;
/** The wait before a failing batch is tried again, doubling after each try (2, 4, 8 s: 14 s for four attempts). */
export const SMS_RETRY_BACKOFF_MS = 2_000;
/**
 * An event older than this texts no one: a text is for news, and a group that was stopped for a
 * while (SMS turned off, then on again) must not send a day's backlog of stale notifications.
 */
export const SMS_MAX_EVENT_AGE_MS = 24 * 3_600_000;

export interface SmsWorkerOptions {
  bus: Bus;
  pool: Pool;
  sms: SmsPort;
  topicPrefix: string;
  log: Logger;
  /** Public address of POST /v1/sms/status; without it Twilio reports no delivery statuses. */
  statusCallbackUrl?: string;
  /** Default SMS_MAX_ATTEMPTS. */
  maxAttempts?: number;
  /** Default SMS_RETRY_BACKOFF_MS. */
  retryBackoffMs?: number;
  maxEventAgeMs?: number;
  health?: RoleReporter;
}

/** An SMS failed on every attempt: its event goes to the dead-letter topic with this reason. */
export class SmsDead extends PlatformError {
  readonly code = 'SMS_DEAD';
  readonly retriable = false;
}

export class SmsWorker {
  private readonly runner: ConsumerRunner;
  private readonly log: Logger;
  /**
   * SMS that died in this process and whose event the runner is about to dead-letter (it runs a
   * failed batch again message by message): they fail again at once instead of being resent.
   * A dead SMS met otherwise (its event replayed from the dead-letter topic) is sent again.
   */
  private readonly diedHere = new Map<number, string>();

  constructor(private readonly options: SmsWorkerOptions) {
    this.log = options.log.child({ role: 'sms' });
    this.runner = new ConsumerRunner({
      bus: options.bus, group: SMS_GROUP, topicPrefix: options.topicPrefix, handler: (messages) => this.handle(messages),
      log: this.log, health: options.health, topics: [eventsTopicPattern(options.topicPrefix)],
      // The SMS log ends an SMS at its last attempt (fatal then): the runner's own limit is never the one reached.
      initialBackoffMs: options.retryBackoffMs ?? SMS_RETRY_BACKOFF_MS, maxAttempts: 2 * (options.maxAttempts ?? SMS_MAX_ATTEMPTS),
    });
  }

  get deadLetterTopic(): string {
    return this.runner.deadLetterTopic;
  }

  start(): Promise<void> {
    return this.runner.start();
  }

  stop(): Promise<void> {
    return this.runner.stop();
  }

  private async handle(messages: BusMessage[]): Promise<void> {
    for (const message of messages) {
      const event = parseMessage<DomainEventMessage>(message, 'a domain event');
      const data = (event.payload ?? {}) as Record<string, unknown>;
      const wanted = smsFor(event.type, data).filter((w) => Number.isSafeInteger(w.userId) && w.userId > 0);
      if (wanted.length === 0) continue;
      const ageMs = Date.now() - Date.parse(event.created_at);
      if (ageMs > (this.options.maxEventAgeMs ?? SMS_MAX_EVENT_AGE_MS)) {
        this.log.info({ event: event.id, type: event.type, created_at: event.created_at }, 'event too old to text about; skipped');
        continue;
      }
      await this.queue(event, data, wanted);
      const [rows] = await this.options.pool.query<RowDataPacket[]>(
        "SELECT id, to_number, body, status, attempts, last_error FROM sms_messages WHERE event_id = ? AND kind IN (?) AND status IN ('pending', 'failed_retrying', 'dead') ORDER BY id",
        [event.id, wanted.map((w) => w.kind)],
      );
      for (const row of rows) await this.send(row);
    }
  }

  /** Logs the SMS the event causes for verified numbers whose owner wants them. */
  private async queue(event: DomainEventMessage, data: Record<string, unknown>, wanted: WantedSms[]): Promise<void> {
    const [phones] = await this.options.pool.query<RowDataPacket[]>(
      'SELECT user_id, phone_e164, sms_orders, sms_messages FROM user_phones WHERE user_id IN (?) AND verified_at IS NOT NULL', [wanted.map((w) => w.userId)],
    );
    const phoneOf = new Map(phones.map((p) => [Number(p.user_id), p]));
    const rows = wanted.flatMap((w) => {
      const phone = phoneOf.get(w.userId);
      if (!phone || !phone[w.preference === 'orders' ? 'sms_orders' : 'sms_messages']) return [];
      return [[w.userId, event.id, w.kind, String(phone.phone_e164), renderSms(w.kind, data)]];
    });
    if (rows.length > 0) await this.options.pool.query('INSERT IGNORE INTO sms_messages (user_id, event_id, kind, to_number, body) VALUES ?', [rows]);
  }

  private async send(row: RowDataPacket): Promise<void> {
    const id = Number(row.id);
    const to = String(row.to_number);
    const died = this.diedHere.get(id);
    if (row.status === 'dead' && died !== undefined) {
      this.diedHere.delete(id);
      throw new SmsDead(died);
    }
    const attempts = Number(row.attempts) + 1;
    let accepted: AcceptedSms;
    try {
      accepted = await this.options.sms.send({
        to, body: String(row.body), statusCallbackUrl: this.options.statusCallbackUrl ? callbackUrlFor(this.options.statusCallbackUrl, id) : undefined,
      });
    } catch (error) {
      const failure = error instanceof SmsSendError ? error : new SmsSendError(`sending failed: ${(error as Error).message}`, true);
      if (!failure.retriable) {
        await recordFailure(this.options.pool, id, { status: 'rejected', attempts, error: failure.message, errorCode: failure.vendorCode });
        this.log.warn({ sms: id, to: maskNumber(to), error: failure.message, vendorCode: failure.vendorCode }, 'SMS refused by the service; not retried');
        return;
      }
      const most = this.options.maxAttempts ?? SMS_MAX_ATTEMPTS;
      if (attempts >= most) {
        const reason = `dead after ${attempts} attempts: ${failure.message}`;
        await recordFailure(this.options.pool, id, { status: 'dead', attempts, error: reason, errorCode: failure.vendorCode });
        this.log.error({ sms: id, to: maskNumber(to), attempts, error: failure.message }, 'SMS dead after its last attempt');
        const letter = `SMS ${id} to ${maskNumber(to)} ${reason}`;
        this.diedHere.set(id, letter);
        throw new SmsDead(letter);
      }
      await recordFailure(this.options.pool, id, { status: 'failed_retrying', attempts, error: failure.message, errorCode: failure.vendorCode });
      // The batch is tried again by the runner, which tells /health and logs the batch's line
      // (the message says all the vendor's error did: as a cause the log would print it twice).
      throw new SinkUnavailable(`SMS ${id} to ${maskNumber(to)}: ${failure.message} (attempt ${attempts} of ${most})`);
    }
    // Outside the try: failing to record a sent SMS must not send it again here (the batch's
    // redelivery may, which at-least-once allows).
    await recordAccepted(this.options.pool, id, attempts, accepted);
  }
}
