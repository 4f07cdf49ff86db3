// The spam-checks worker: a consumer group on the user and message events that runs the spam
// rules (rules.ts) on each sign-up and each message, gathering what they compare (the sign-ups
// from the same address, the sender's account age, the same text to other recipients), and
// records and takes the actions: flag, rate-limit or suspend, each audited.
import { isDisposableEmail } from 'disposable-email-domains-js';
import type { SpamChecksConfig } from '../../../core/config/checks.js';
import type { Logger } from '../../../core/log.js';
import type { RoleReporter } from '../../../core/role-health.js';
import { recordSpamDecision, type SpamSubject } from '../../../marketplace/moderation/spam-checks.js';
import type { Pool, RowDataPacket } from '../../../marketplace/mysql/connection.js';
import type { Bus, BusMessage } from '../../bus/port.js';
import type { DomainEventMessage } from '../../cdc/outbox-router.js';
import { eventsTopic } from '../../cdc/topics.js';
import { ConsumerRunner } from '../../consumers/runner.js';
import { parseMessage } from '../../consumers/parse-message.js';
import { normaliseText } from '../listing-checks/listing-text.js';
import { checkMessage, checkSignup, type SpamFinding } from './rules.js';

export const SPAM_CHECKS_GROUP = 'spam-checks';
/** The sender's recent messages compared for the same text: enough for any sane threshold, and bounded. */
const RECENT_MESSAGES = 500;

export interface SpamChecksOptions {
  bus: Bus;
  pool: Pool;
  topicPrefix: string;
  log: Logger;
  config: SpamChecksConfig;
  health?: RoleReporter;
  /** Told of each decision recorded (tests wait on it). */
  onDecision?: (userId: number, rules: string[], actions: string[]) => void;
}

export class SpamChecksWorker {
  private readonly runner: ConsumerRunner;
  private readonly log: Logger;

  constructor(private readonly options: SpamChecksOptions) {
    this.log = options.log.child({ role: SPAM_CHECKS_GROUP });
    this.runner = new ConsumerRunner({
      bus: options.bus, group: SPAM_CHECKS_GROUP, topicPrefix: options.topicPrefix,
      topics: [eventsTopic(options.topicPrefix, 'user'), eventsTopic(options.topicPrefix, 'message')],
      handler: (messages) => this.handle(messages), log: this.log, maxBatchSize: 200, health: options.health,
    });
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
      const payload = (event.payload ?? {}) as Record<string, unknown>;
      if (event.type === 'user.signed_up') await this.signedUp(event.id, payload);
      else if (event.type === 'message.received') await this.messageSent(event.id, payload);
    }
  }

  private async signedUp(eventId: string, payload: Record<string, unknown>): Promise<void> {
    const userId = Number(payload.id);
    const email = String(payload.email ?? '');
    if (!Number.isSafeInteger(userId) || !email.includes('@')) return;
    const burst = this.options.config.signupBurst;
    const [rows] = await this.options.pool.query<RowDataPacket[]>(
      `SELECT COUNT(*) AS n FROM signup_addresses a JOIN signup_addresses mine ON mine.user_id = ?
       WHERE a.ip = mine.ip AND a.created_at > mine.created_at - INTERVAL ? SECOND AND a.created_at <= mine.created_at`,
      [userId, Math.round(burst.windowMs / 1000)],
    );
    // No address row: a user made by sample data or a tool, not through the sign-up form.
    const [[known]] = await this.options.pool.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM signup_addresses WHERE user_id = ?', [userId]);
    const findings = checkSignup({ email, disposableDomain: isDisposableEmail(email), signupsFromAddress: Number(known!.n) > 0 ? Number(rows[0]!.n) : undefined }, this.options.config);
    await this.decide({ eventId, userId, subject: 'signup' }, findings);
  }

  private async messageSent(eventId: string, payload: Record<string, unknown>): Promise<void> {
    const messageId = Number(payload.id);
    if (!Number.isSafeInteger(messageId)) return;
    const [rows] = await this.options.pool.query<RowDataPacket[]>(
      `SELECT m.sender_id, m.body, m.created_at, TIMESTAMPDIFF(SECOND, u.created_at, m.created_at) AS age_s
       FROM messages m JOIN users u ON u.id = m.sender_id WHERE m.id = ?`, [messageId],
    );
    const sent = rows[0];
    // Deleted meanwhile: nothing left to judge.
    if (!sent) return;
    const senderId = Number(sent.sender_id);
    const body = String(sent.body);
    const { sameText } = this.options.config;
    const [recent] = await this.options.pool.query<RowDataPacket[]>(
      `SELECT recipient_id, body FROM messages WHERE sender_id = ? AND created_at > ? - INTERVAL ? SECOND AND created_at <= ? AND id <= ?
       ORDER BY created_at DESC LIMIT ?`,
      [senderId, sent.created_at, Math.round(sameText.windowMs / 1000), sent.created_at, messageId, RECENT_MESSAGES],
    );
    const text = normaliseText(body);
    const recipients = new Set(recent.filter((row) => normaliseText(String(row.body)) === text).map((row) => Number(row.recipient_id)));
    const findings = checkMessage({ body, senderAgeMs: Number(sent.age_s) * 1000, sameTextRecipients: recipients.size }, this.options.config);
    await this.decide({ eventId, userId: senderId, subject: 'message', messageId }, findings);
  }

  private async decide(subject: SpamSubject, findings: SpamFinding[]): Promise<void> {
    if (findings.length === 0) return;
    const actions = await recordSpamDecision(this.options.pool, subject, findings, this.options.config.rateLimit);
    if (actions.length > 0) {
      this.log.info({ user: subject.userId, subject: subject.subject, rules: findings.map((f) => f.rule), actions }, 'spam check acted on an account');
      this.options.onDecision?.(subject.userId, findings.map((f) => f.rule), actions);
    }
  }
}
