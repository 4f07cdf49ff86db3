// The report jobs: collect a period's numbers from the warehouse, render them, and queue one
// email per recipient with the email worker (which sends, retries and dead-letters them like any
// other). Queuing is idempotent per report, period and recipient: a second run mails nobody twice.
import { createHash } from 'node:crypto';
import type { Pool, ResultSetHeader } from '../../marketplace/mysql/connection.js';
import type { ClickHouseClient } from '../../warehouse/client.js';
import { reportPeriod, type ReportKind } from './report-period.js';
import { renderUsageEmail } from './usage-email.js';
import { collectUsage } from './usage-report.js';

export interface UsageReportOptions {
  kind: ReportKind;
  /** When the report runs: it covers the last whole day or week before this. */
  at: Date;
  timezone: string;
  recipients: readonly string[];
  pool: Pool;
  warehouse: ClickHouseClient;
}

/** A UUID-shaped id that is the same for the same report, period and recipient. */
function reportEventId(kind: ReportKind, from: Date, recipient: string): string {
  const hex = createHash('sha256').update(`usage-report:${kind}:${from.toISOString()}:${recipient}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

export async function sendUsageReport(options: UsageReportOptions): Promise<string> {
  const period = reportPeriod(options.kind, options.at, options.timezone);
  const report = await collectUsage(options.warehouse, period);
  const email = renderUsageEmail(report);
  let queued = 0;
  for (const recipient of options.recipients) {
    const [result] = await options.pool.query<ResultSetHeader>(
      "INSERT IGNORE INTO email_messages (user_id, event_id, template, to_address, subject, data, next_attempt_at) VALUES (NULL, ?, 'report', ?, ?, ?, UTC_TIMESTAMP(6))",
      [reportEventId(options.kind, period.from, recipient), recipient, email.subject.slice(0, 300), JSON.stringify(email)],
    );
    queued += result.affectedRows;
  }
  return `${email.subject}: queued for ${queued} of ${options.recipients.length} recipient(s)${queued < options.recipients.length ? ' (the others had it already)' : ''}`;
}
