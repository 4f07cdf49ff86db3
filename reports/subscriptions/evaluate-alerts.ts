// The alerts job and "check now": measure each alert's check and compare it with its threshold.
// Mail goes out when an alert moves from ok to breached, once per breach: a check that finds it
// still breached mails nobody, and only a check that finds it cleared lets the next breach mail
// again. The move is a conditional UPDATE, so two evaluations at once mail once.
import type { Logger } from '../../core/log.js';
import type { Pool, ResultSetHeader } from '../../marketplace/mysql/connection.js';
import type { RenderedEmail } from '../../pipelines/sinks/email/templates.js';
import type { ClickHouseClient } from '../../warehouse/client.js';
import { listAlerts, type Alert } from './alert-store.js';
import { breaches, BUILT_IN_CHECKS, measureQuery, type CheckContext, type Measurement } from './checks.js';
import { queueReportEmail, recordDelivery, reportEventId } from './report-mail.js';

export interface AlertRunOptions {
  pool: Pool;
  warehouse: ClickHouseClient;
  log: Logger;
  deadLetters?: () => Promise<number>;
}

export interface AlertOutcome {
  alert_id: number;
  value: number | null;
  breached: boolean;
  /** What the check did to the alert's state. */
  change: 'breached' | 'still_breached' | 'cleared' | 'still_ok' | 'failed';
  /** email_messages ids queued by this check (only on `breached`). */
  emails: number[];
  details: Record<string, number | string>;
  error?: string;
}

/** The alert's email, with the value, the threshold and the figures behind them. Pure. */
export function renderAlertEmail(alert: Alert, measurement: Measurement, at: Date): RenderedEmail {
  const when = `${at.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  const rule = `${measurement.value} ${alert.comparison} ${alert.threshold}`;
  const check = alert.check === 'query' ? 'its query' : `${alert.check}: ${BUILT_IN_CHECKS[alert.check]?.description ?? ''}`;
  const figures = Object.entries(measurement.details).map(([key, value]) => `${key}: ${value}`);
  const text = [
    `Alert "${alert.name}" fired at ${when}: the value is ${measurement.value} (fires when value ${alert.comparison} ${alert.threshold}).`, '',
    ...figures, '',
    `Check: ${check}`,
    ...(alert.sql ? ['', alert.sql] : []), '',
    `You get one email per breach: the next one only after a check finds it cleared (alert ${alert.id} of ${alert.owner}; /admin/alerts/${alert.id}).`, '',
  ].join('\n');
  return { subject: `Alert: ${alert.name} (${rule})`, text };
}

async function measure(alert: Alert, context: CheckContext): Promise<Measurement> {
  if (alert.check === 'query') return measureQuery(context, alert.sql ?? '');
  const check = BUILT_IN_CHECKS[alert.check];
  if (!check) throw new Error(`unknown check "${alert.check}"`);
  return check.measure(context);
}

export async function evaluateAlert(options: AlertRunOptions, alert: Alert, at: Date, trigger: 'schedule' | 'manual' = 'schedule'): Promise<AlertOutcome> {
  const { pool } = options;
  let measurement: Measurement;
  try {
    measurement = await measure(alert, { pool, warehouse: options.warehouse, at, deadLetters: options.deadLetters });
  } catch (error) {
    const message = (error as Error).message.slice(0, 1000);
    await pool.query('UPDATE report_alerts SET last_checked_at = ?, last_error = ? WHERE id = ?', [at, message, alert.id]);
    options.log.warn({ alert: alert.id, error: message }, 'alert check failed');
    return { alert_id: alert.id, value: null, breached: alert.state === 'breached', change: 'failed', emails: [], details: {}, error: message };
  }
  const breached = breaches(measurement.value, alert.comparison, alert.threshold);
  await pool.query('UPDATE report_alerts SET last_value = ?, last_checked_at = ?, last_error = NULL WHERE id = ?', [measurement.value, at, alert.id]);
  const [moved] = await pool.query<ResultSetHeader>(
    breached
      ? "UPDATE report_alerts SET state = 'breached', last_breached_at = ? WHERE id = ? AND state = 'ok'"
      : "UPDATE report_alerts SET state = 'ok', last_cleared_at = ? WHERE id = ? AND state = 'breached'",
    [at, alert.id],
  );
  const changed = moved.affectedRows === 1;
  const outcome: AlertOutcome = {
    alert_id: alert.id, value: measurement.value, breached, details: measurement.details, emails: [],
    change: breached ? (changed ? 'breached' : 'still_breached') : changed ? 'cleared' : 'still_ok',
  };
  if (outcome.change === 'breached') {
    const email = renderAlertEmail(alert, measurement, at);
    for (const recipient of alert.recipients) {
      const id = await queueReportEmail(pool, reportEventId(`alert:${alert.id}:${at.toISOString()}:${recipient}`), recipient, email);
      outcome.emails.push(id);
      await recordDelivery(pool, { alertId: alert.id, trigger, dueAt: at, outcome: 'queued', emailMessageId: id, detail: `${email.subject} to ${recipient}` });
    }
    options.log.info({ alert: alert.id, value: measurement.value, recipients: alert.recipients.length }, 'alert breached; mailed');
  } else if (outcome.change === 'cleared') {
    options.log.info({ alert: alert.id, value: measurement.value }, 'alert cleared');
  }
  return outcome;
}

/** The job: every enabled alert checked once. */
export async function evaluateAlerts(options: AlertRunOptions & { now: Date }): Promise<string> {
  const counts = { breached: 0, still_breached: 0, cleared: 0, still_ok: 0, failed: 0 };
  for (const alert of await listAlerts(options.pool, { enabled: true })) counts[(await evaluateAlert(options, alert, options.now)).change]++;
  return `${counts.breached} breached (mailed), ${counts.still_breached} still breached, ${counts.cleared} cleared, ${counts.still_ok} ok, ${counts.failed} failed`;
}
