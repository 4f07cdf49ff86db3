// The subscriptions job and "send now": run a subscription's query or page, mail the result as
// CSV through the email queue, or mail nothing when it is empty; every outcome goes in the
// delivery log. A failing subscription is logged and recorded and does not stop the others.
import { randomUUID } from 'node:crypto';
import type { Logger } from '../../core/log.js';
import type { Pool } from '../../marketplace/mysql/connection.js';
import type { RenderedEmail } from '../../pipelines/sinks/email/templates.js';
import type { ClickHouseClient } from '../../warehouse/client.js';
import { describeSchedule, dueOccurrence } from './cadence.js';
import { queueReportEmail, recordDelivery, reportEventId, type DeliveryOutcome } from './report-mail.js';
import { runReportTarget, type PageSources, type ReportResult } from './report-target.js';
import { claimOccurrence, listSubscriptions, type Subscription } from './subscription-store.js';

export interface SubscriptionRunOptions extends PageSources {
  pool: Pool;
  warehouse: ClickHouseClient;
  log: Logger;
  /** Where the dashboards are served, for the link in a page's email (e.g. http://127.0.0.1:8081/reports/). */
  dashboardsUrl?: string;
}

export interface SendOutcome {
  subscription_id: number;
  outcome: DeliveryOutcome;
  rows?: number;
  email_message_id?: number;
  detail: string;
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The email: what it is, when, and per attachment how many rows. Pure. */
export function renderSubscriptionEmail(subscription: Subscription, result: ReportResult, date: string, dashboardsUrl?: string): RenderedEmail {
  const what = subscription.target.kind === 'page' ? `the dashboard page "${subscription.target.page}"` : 'a saved warehouse query';
  const link = subscription.target.kind === 'page' && dashboardsUrl
    ? `${dashboardsUrl.replace(/\/+$/, '')}/${subscription.target.page === 'index' ? '' : subscription.target.page}` : undefined;
  const lines = result.parts.map((part) => `${part.filename}: ${part.rows.toLocaleString('en')} row${part.rows === 1 ? '' : 's'}`);
  const text = [
    `${subscription.name} (${date})`, '',
    `The data of ${what}, attached as CSV.`, ...(link ? [`Open the page: ${link}`] : []), '',
    ...lines, '',
    `You get this ${describeSchedule(subscription)} (subscription ${subscription.id} of ${subscription.owner}; change or delete it at /admin/subscriptions/${subscription.id}).`, '',
  ].join('\n');
  const html = [
    '<!doctype html><html><body style="font-family: sans-serif">',
    `<h2>${escapeHtml(subscription.name)}</h2><p>${escapeHtml(date)}: the data of ${escapeHtml(what)}, attached as CSV.</p>`,
    ...(link ? [`<p><a href="${escapeHtml(link)}">Open the page</a></p>`] : []),
    `<ul>${lines.map((line) => `<li>${escapeHtml(line)}</li>`).join('')}</ul>`,
    `<p style="color: #666">You get this ${escapeHtml(describeSchedule(subscription))} (subscription ${subscription.id} of ${escapeHtml(subscription.owner)}).</p>`,
    '</body></html>',
  ].join('\n');
  return { subject: `${subscription.name}: ${date}`, text, html, attachments: result.attachments };
}

/** The occurrence's day on the subscription's clock, e.g. 2026-03-10. */
function localDate(at: Date, timezone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: timezone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
}

/**
 * Runs one subscription for `dueAt` and records the outcome. `eventKey` makes the email
 * idempotent: the same key never queues a second email.
 */
export async function sendSubscription(options: SubscriptionRunOptions, subscription: Subscription, dueAt: Date, trigger: 'schedule' | 'manual'): Promise<SendOutcome> {
  const log = options.log.child({ subscription: subscription.id });
  const date = localDate(dueAt, subscription.timezone);
  let outcome: SendOutcome;
  try {
    const result = await runReportTarget(options.warehouse, subscription.target, { name: subscription.name, date, pagesDir: options.pagesDir, dashboardQueries: options.dashboardQueries });
    if (result.rows === 0) {
      outcome = { subscription_id: subscription.id, outcome: 'skipped_empty', rows: 0, detail: 'the result was empty: nothing mailed' };
    } else {
      const key = trigger === 'schedule' ? `subscription:${subscription.id}:${dueAt.toISOString()}` : `subscription:${subscription.id}:manual:${randomUUID()}`;
      const emailId = await queueReportEmail(options.pool, reportEventId(key), subscription.email, renderSubscriptionEmail(subscription, result, date, options.dashboardsUrl));
      outcome = { subscription_id: subscription.id, outcome: 'queued', rows: result.rows, email_message_id: emailId, detail: `${result.rows} row(s) to ${subscription.email}` };
    }
  } catch (error) {
    outcome = { subscription_id: subscription.id, outcome: 'failed', detail: (error as Error).message.slice(0, 1000) };
  }
  await recordDelivery(options.pool, {
    subscriptionId: subscription.id, trigger, dueAt, outcome: outcome.outcome, rows: outcome.rows, emailMessageId: outcome.email_message_id, detail: outcome.detail,
  });
  if (outcome.outcome === 'failed') log.warn({ error: outcome.detail }, 'subscription failed');
  else log.info({ outcome: outcome.outcome, rows: outcome.rows }, 'subscription run');
  return outcome;
}

/** The job: every enabled subscription with an occurrence waiting is run once for it. */
export async function sendDueSubscriptions(options: SubscriptionRunOptions & { now: Date }): Promise<string> {
  const counts: Record<DeliveryOutcome, number> = { queued: 0, skipped_empty: 0, failed: 0 };
  for (const subscription of await listSubscriptions(options.pool, { enabled: true })) {
    const due = dueOccurrence(subscription, options.now, subscription.lastOccurrenceAt, subscription.createdAt);
    // Claimed before it runs: a second scheduler (or a run that overlaps) finds it taken.
    if (!due || !(await claimOccurrence(options.pool, subscription.id, due))) continue;
    counts[(await sendSubscription(options, subscription, due, 'schedule')).outcome]++;
  }
  return `${counts.queued} mailed, ${counts.skipped_empty} skipped (empty), ${counts.failed} failed`;
}
