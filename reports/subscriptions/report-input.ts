// What staff send to create or change a subscription or an alert, checked as a whole (after a
// change is merged onto what is stored) with the field and a reason a person can act on. Pure.
import { PlatformError } from '../../core/errors.js';
import { CADENCES, isTimezone, WEEKDAYS, type Cadence } from './cadence.js';
import { BUILT_IN_CHECKS, COMPARISONS, type Comparison } from './checks.js';

export class ReportInputError extends PlatformError {
  readonly code = 'INVALID_REPORT_INPUT';
  readonly retriable = false;
  constructor(readonly field: string, readonly reason: string) {
    super(`${field}: ${reason}`);
  }
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export interface SubscriptionInput {
  name?: unknown;
  email?: unknown;
  page?: unknown;
  sql?: unknown;
  cadence?: unknown;
  hour?: unknown;
  weekday?: unknown;
  timezone?: unknown;
  enabled?: unknown;
}

export interface SubscriptionFields {
  name: string;
  email: string;
  target: { kind: 'page'; page: string } | { kind: 'query'; sql: string };
  cadence: Cadence;
  hour: number;
  weekday: number | null;
  timezone: string;
  enabled: boolean;
}

function text(field: string, value: unknown, max: number, what: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw new ReportInputError(field, `is required: ${what}`);
  if (value.trim().length > max) throw new ReportInputError(field, `must be at most ${max} characters`);
  return value.trim();
}

function email(field: string, value: unknown): string {
  const address = text(field, value, 254, 'an email address such as name@example.com');
  if (!EMAIL.test(address)) throw new ReportInputError(field, `"${address}" is not an email address (e.g. name@example.com)`);
  return address;
}

function weekdayOf(value: unknown): number {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 6) return value;
  if (typeof value === 'string') {
    const index = WEEKDAYS.findIndex((day) => day === value.trim().toLowerCase() || day.slice(0, 3) === value.trim().toLowerCase());
    if (index >= 0) return index;
  }
  throw new ReportInputError('weekday', `choose a day of the week (${WEEKDAYS.join(', ')}, or 0-6 with 0 = sunday)`);
}

/** `pages`: the dashboard pages there are, to say which exist when the page named is not one. */
export function checkSubscription(input: SubscriptionInput, pages: readonly string[], pageName: (path: string) => string): SubscriptionFields {
  const name = text('name', input.name, 200, 'a name for the subscription, shown in the email\'s subject');
  const to = email('email', input.email);
  const hasPage = input.page !== undefined && input.page !== null;
  const hasSql = input.sql !== undefined && input.sql !== null;
  if (hasPage === hasSql) {
    throw new ReportInputError(hasPage ? 'sql' : 'page', 'give either page (a dashboard page, e.g. platform) or sql (a saved warehouse query), one of the two');
  }
  let target: SubscriptionFields['target'];
  if (hasPage) {
    const page = pageName(text('page', input.page, 200, 'a dashboard page such as platform'));
    if (!pages.includes(page)) throw new ReportInputError('page', `there is no dashboard page "${page}" (pages: ${pages.join(', ') || 'none'})`);
    target = { kind: 'page', page };
  } else {
    target = { kind: 'query', sql: text('sql', input.sql, 100_000, 'the warehouse SQL whose result is mailed') };
  }
  if (!CADENCES.includes(input.cadence as Cadence)) throw new ReportInputError('cadence', `choose one of ${CADENCES.join(', ')}`);
  const cadence = input.cadence as Cadence;
  const hour = input.hour ?? 7;
  if (typeof hour !== 'number' || !Number.isInteger(hour) || hour < 0 || hour > 23) throw new ReportInputError('hour', 'must be a whole hour from 0 to 23 (the time of day the email goes out)');
  let weekday: number | null = null;
  if (cadence === 'weekly') weekday = weekdayOf(input.weekday ?? 'monday');
  else if (input.weekday !== undefined && input.weekday !== null) throw new ReportInputError('weekday', 'is for weekly subscriptions only (this one is daily)');
  const timezone = input.timezone ?? 'UTC';
  if (typeof timezone !== 'string' || !isTimezone(timezone)) throw new ReportInputError('timezone', `"${String(timezone)}" is not a time zone (use an IANA name such as UTC or Europe/Berlin)`);
  if (input.enabled !== undefined && typeof input.enabled !== 'boolean') throw new ReportInputError('enabled', 'must be true or false');
  return { name, email: to, target, cadence, hour, weekday, timezone, enabled: input.enabled !== false };
}

export interface AlertInput {
  name?: unknown;
  check?: unknown;
  sql?: unknown;
  comparison?: unknown;
  threshold?: unknown;
  recipients?: unknown;
  enabled?: unknown;
}

export interface AlertFields {
  name: string;
  check: string;
  sql: string | null;
  comparison: Comparison;
  threshold: number;
  recipients: string[];
  enabled: boolean;
}

export function checkAlert(input: AlertInput): AlertFields {
  const name = text('name', input.name, 200, 'a name for the alert, shown in the email\'s subject');
  const checks = ['query', ...Object.keys(BUILT_IN_CHECKS)];
  if (typeof input.check !== 'string' || !checks.includes(input.check)) {
    throw new ReportInputError('check', `choose query (your own SQL returning one row with a value) or a built-in check: ${Object.keys(BUILT_IN_CHECKS).join(', ')}`);
  }
  const builtIn = BUILT_IN_CHECKS[input.check];
  let sql: string | null = null;
  if (input.check === 'query') sql = text('sql', input.sql, 100_000, 'warehouse SQL returning one row with a column named value');
  else if (input.sql !== undefined && input.sql !== null) throw new ReportInputError('sql', `is for check "query" only; the built-in check ${input.check} has its own`);
  const comparison = input.comparison ?? builtIn?.comparison;
  if (!COMPARISONS.includes(comparison as Comparison)) {
    throw new ReportInputError('comparison', `${comparison === undefined ? 'is required for a query check: ' : ''}choose one of ${COMPARISONS.join(' ')} (the alert fires when "value <comparison> threshold" holds)`);
  }
  const threshold = input.threshold ?? builtIn?.threshold;
  if (typeof threshold !== 'number' || !Number.isFinite(threshold)) {
    throw new ReportInputError('threshold', `${threshold === undefined ? 'is required for a query check: ' : 'must be '}a number the value is compared with`);
  }
  if (!Array.isArray(input.recipients) || input.recipients.length === 0) throw new ReportInputError('recipients', 'list at least one email address to mail when the alert fires');
  if (input.recipients.length > 50) throw new ReportInputError('recipients', 'at most 50 addresses');
  const recipients = input.recipients.map((address, i) => email(`recipients.${i}`, address));
  if (input.enabled !== undefined && typeof input.enabled !== 'boolean') throw new ReportInputError('enabled', 'must be true or false');
  return { name, check: input.check, sql, comparison: comparison as Comparison, threshold, recipients: [...new Set(recipients)], enabled: input.enabled !== false };
}
