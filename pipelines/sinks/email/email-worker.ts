// Email: a consumer group on the domain-event topics queues one email_messages row per email an
// event causes (idempotent on event + template); a sender claims due rows and walks each through
// queued -> rendering -> sending -> sent, or failed_retrying (backoff) -> ... -> dead, which is
// logged at error level (the alert) and stays visible in the table.
import type { Transporter } from 'nodemailer';
import { onFirstUse } from '../../../core/load-on-first-use.js';
import type { Logger } from '../../../core/log.js';
import type { RoleReporter } from '../../../core/role-health.js';
import type { Pool, RowDataPacket } from '../../../marketplace/mysql/connection.js';
import type { Bus, BusMessage } from '../../bus/port.js';
import type { DomainEventMessage } from '../../cdc/outbox-router.js';
import { eventsTopicPattern } from '../../cdc/topics.js';
import { ConsumerRunner } from '../../consumers/runner.js';
import { parseMessage } from '../../consumers/parse-message.js';
import { claimDue } from '../outbound/claim-due.js';
import { PollLoop } from '../outbound/poll-loop.js';
import { nextAttemptDelayMs } from '../webhooks/retry-schedule.js';
import { emailsFor, renderEmail, type EmailTemplate } from './templates.js';

const nodemailer = onFirstUse<typeof import('nodemailer')>('nodemailer');

export const EMAIL_GROUP = 'email';
export const EMAIL_RETRY_SCHEDULE_MS = [0, 30_000, 120_000, 600_000, 3_600_000, 21_600_000];

export interface EmailWorkerOptions {
  bus: Bus;
  pool: Pool;
  topicPrefix: string;
  log: Logger;
  smtpUrl: string;
  from?: string;
  schedule?: readonly number[];
  pollMs?: number;
  /** Told of every failing batch or tick, so /health shows the enqueuer or the sender degraded. */
  health?: RoleReporter;
}

export type EmailSenderOptions = Omit<EmailWorkerOptions, 'bus' | 'topicPrefix'>;

export function startEmailEnqueuer(options: EmailWorkerOptions): ConsumerRunner {
  const handler = async (messages: BusMessage[]) => {
    const wanted: { event: DomainEventMessage; template: EmailTemplate; userId: number }[] = [];
    for (const message of messages) {
      const event = parseMessage<DomainEventMessage>(message, 'a domain event');
      for (const email of emailsFor(event.type, (event.payload ?? {}) as Record<string, unknown>)) wanted.push({ event, ...email });
    }
    const userIds = [...new Set(wanted.map((w) => w.userId).filter((id) => Number.isSafeInteger(id) && id > 0))];
    if (userIds.length === 0) return;
    const [users] = await options.pool.query<RowDataPacket[]>('SELECT id, email FROM users WHERE id IN (?)', [userIds]);
    const emailOf = new Map(users.map((u) => [Number(u.id), String(u.email)]));
    const rows = wanted.filter((w) => emailOf.has(w.userId)).map((w) => [
      w.userId, w.event.id, w.template, emailOf.get(w.userId), '', JSON.stringify(w.event.payload ?? {}), new Date(),
    ]);
    // INSERT IGNORE on (event_id, template): a redelivered event never mails twice.
    if (rows.length > 0) {
      await options.pool.query('INSERT IGNORE INTO email_messages (user_id, event_id, template, to_address, subject, data, next_attempt_at) VALUES ?', [rows]);
    }
  };
  return new ConsumerRunner({
    bus: options.bus, group: EMAIL_GROUP, topicPrefix: options.topicPrefix, handler, log: options.log.child({ role: 'email' }), health: options.health,
    topics: [eventsTopicPattern(options.topicPrefix)],
  });
}

export class EmailSender {
  private readonly transport: Transporter;
  private readonly loop: PollLoop;

  constructor(private readonly options: EmailSenderOptions) {
    // A pool of SMTP connections: the emails of one tick go out side by side.
    this.transport = nodemailer().createTransport(options.smtpUrl, { pool: true, maxConnections: 5 } as never);
    this.loop = new PollLoop(() => this.tick(), options.pollMs ?? 500, (error) => options.log.error({ err: error }, 'email sending failed'), options.health);
  }

  start(): void {
    this.loop.start();
  }

  /** Finishes the emails in hand, then closes the SMTP connections. */
  async stop(): Promise<void> {
    await this.loop.stop();
    this.transport.close();
  }

  async tick(): Promise<number> {
    const ids = await claimDue(this.options.pool, { table: 'email_messages', waiting: ['queued', 'failed_retrying'], inFlight: 'rendering', leased: ['rendering', 'sending'], leaseSeconds: 120, limit: 50 });
    if (ids.length === 0) return 0;
    const [rows] = await this.options.pool.query<RowDataPacket[]>(
      'SELECT m.id, m.template, m.to_address, m.attempts, m.data, u.name FROM email_messages m LEFT JOIN users u ON u.id = m.user_id WHERE m.id IN (?)', [ids],
    );
    await Promise.all(rows.map((row) => this.send(row)));
    return ids.length;
  }

  private async send(row: RowDataPacket): Promise<void> {
    const attempt = Number(row.attempts) + 1;
    const data = (typeof row.data === 'string' ? JSON.parse(row.data) : row.data ?? {}) as Record<string, unknown>;
    const email = renderEmail(row.template as EmailTemplate, String(row.name ?? 'there'), data);
    await this.options.pool.query("UPDATE email_messages SET status = 'sending', subject = ? WHERE id = ?", [email.subject.slice(0, 300), row.id]);
    try {
      const info = await this.transport.sendMail({
        from: this.options.from ?? 'Steveslist <no-reply@steveslist.local>', to: String(row.to_address), subject: email.subject, text: email.text,
        html: email.html, attachments: email.attachments, headers: email.headers,
      });
      await this.options.pool.query(
        "UPDATE email_messages SET status = 'sent', attempts = ?, sent_at = UTC_TIMESTAMP(6), smtp_message_id = ?, smtp_response = ?, last_error = NULL, lease_until = NULL WHERE id = ?",
        [attempt, String(info.messageId).slice(0, 255), String(info.response).slice(0, 1000), row.id],
      );
    } catch (error) {
      const delay = nextAttemptDelayMs(attempt, this.options.schedule ?? EMAIL_RETRY_SCHEDULE_MS);
      const message = (error as Error).message.slice(0, 1000);
      await this.options.pool.query(
        `UPDATE email_messages SET status = ?, attempts = ?, last_error = ?, smtp_response = ?, lease_until = NULL,
           next_attempt_at = ${delay === undefined ? 'NULL' : 'UTC_TIMESTAMP(6) + INTERVAL ? MICROSECOND'} WHERE id = ?`,
        [delay === undefined ? 'dead' : 'failed_retrying', attempt, message, String((error as { response?: string }).response ?? '').slice(0, 1000) || null,
          ...(delay === undefined ? [] : [delay * 1000]), row.id],
      );
      if (delay === undefined) this.options.log.error({ email: row.id, template: row.template, attempts: attempt, error: message }, 'email dead after its last attempt');
      else this.options.log.warn({ email: row.id, attempt, error: message }, 'email failed; retrying');
    }
  }
}
