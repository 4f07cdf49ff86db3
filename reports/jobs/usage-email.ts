// A usage report as an email: the key numbers against the previous period in text and HTML, and
// the per-hour (daily) or per-day (weekly) detail as a CSV attachment. Pure.
import type { EmailAttachment } from '../../pipelines/sinks/email/templates.js';
import { localDate } from './report-period.js';
import type { UsageReport, UsageTotals } from './usage-report.js';

export interface ReportEmail {
  subject: string;
  text: string;
  html: string;
  attachments: EmailAttachment[];
}

function fractionDigits(currency: string): number {
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency: currency.toUpperCase() }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    return 2;
  }
}

/** Minor units as an exact decimal in major units (12345 usd -> "123.45"), no floating point. */
export function majorUnits(minor: number, currency: string): string {
  const digits = fractionDigits(currency);
  if (digits === 0) return String(minor);
  const sign = minor < 0 ? '-' : '';
  const text = String(Math.abs(minor)).padStart(digits + 1, '0');
  return `${sign}${text.slice(0, -digits)}.${text.slice(-digits)}`;
}

export function formatMoney(minor: number, currency: string): string {
  const major = majorUnits(minor, currency);
  const [whole, fraction] = major.split('.');
  return `${whole!.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}${fraction ? `.${fraction}` : ''} ${currency.toUpperCase()}`;
}

function change(now: number, before: number): string {
  if (before === 0) return now === 0 ? 'no change' : 'new';
  const percent = Math.round(((now - before) / before) * 100);
  return `${percent >= 0 ? '+' : ''}${percent}% vs ${before.toLocaleString('en')}`;
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

interface Line {
  label: string;
  value: string;
  change: string;
}

function lines(report: UsageReport): Line[] {
  const metric = (label: string, key: Exclude<keyof UsageTotals, 'gmv'>): Line => ({
    label, value: report.current[key].toLocaleString('en'), change: change(report.current[key], report.previous[key]),
  });
  const currencies = [...new Set([...Object.keys(report.current.gmv), ...Object.keys(report.previous.gmv)])].sort();
  return [
    metric('New users', 'signups'),
    metric('New listings', 'listings'),
    metric('Orders', 'orders'),
    ...currencies.map((currency) => ({
      label: `GMV ${currency.toUpperCase()}`, value: formatMoney(report.current.gmv[currency] ?? 0, currency),
      change: change(report.current.gmv[currency] ?? 0, report.previous.gmv[currency] ?? 0).replace(/vs ([\d,]+)$/, () => `vs ${formatMoney(report.previous.gmv[currency] ?? 0, currency)}`),
    })),
    metric('Messages', 'messages'),
    metric('Listings removed', 'removals'),
  ];
}

/** 2026-03-10 14:00 on the business's clock: what staff filter and chart the attachment by. */
function localMinute(at: Date, timezone: string): string {
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-CA', {
    timeZone: timezone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
  }).formatToParts(at).map((part) => [part.type, part.value]));
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}`;
}

function csv(report: UsageReport): string {
  const currencies = [...new Set(report.buckets.flatMap((bucket) => Object.keys(bucket.gmv)))].sort();
  const header = ['start_local', 'start_utc', 'signups', 'listings', 'orders', 'messages', 'removals', ...currencies.map((c) => `gmv_${c}`)];
  const body = report.buckets.map((bucket) => [
    localMinute(new Date(bucket.start), report.period.timezone), bucket.start, bucket.signups, bucket.listings, bucket.orders, bucket.messages, bucket.removals,
    ...currencies.map((c) => majorUnits(bucket.gmv[c] ?? 0, c)),
  ].join(','));
  return `${[header.join(','), ...body].join('\r\n')}\r\n`;
}

export function renderUsageEmail(report: UsageReport): ReportEmail {
  const { kind, timezone } = report.period;
  const from = localDate(new Date(report.period.from), timezone);
  const lastDay = localDate(new Date(Date.parse(report.period.to) - 1), timezone);
  const span = kind === 'daily' ? from : `${from} to ${lastDay}`;
  const title = `Steveslist ${kind} usage: ${span}`;
  const rows = lines(report);
  const width = Math.max(...rows.map((row) => row.label.length));
  const valueWidth = Math.max(...rows.map((row) => row.value.length));
  const categories = report.top_categories.map((c) => `${c.category} ${c.listings.toLocaleString('en')} (vs ${c.previous.toLocaleString('en')})`).join(', ') || 'none';
  const text = [
    `${title} (${timezone})`, '',
    ...rows.map((row) => `${row.label.padEnd(width)}  ${row.value.padStart(valueWidth)}  (${row.change})`), '',
    `Top categories of new listings: ${categories}`, '',
    `The attachment has the numbers per ${kind === 'daily' ? 'hour' : 'day'}. GMV leaves out cancelled and refunded orders.`, '',
  ].join('\n');
  const html = [
    '<!doctype html><html><body style="font-family: sans-serif">',
    `<h2>${escapeHtml(title)}</h2><p>${escapeHtml(timezone)}</p>`,
    '<table cellpadding="6" style="border-collapse: collapse">',
    ...rows.map((row) => `<tr><th align="left">${escapeHtml(row.label)}</th><td align="right"><b>${escapeHtml(row.value)}</b></td><td>${escapeHtml(row.change)}</td></tr>`),
    '</table>',
    `<p>Top categories of new listings: ${escapeHtml(categories)}</p>`,
    `<p>The attachment has the numbers per ${kind === 'daily' ? 'hour' : 'day'}. GMV leaves out cancelled and refunded orders.</p>`,
    '</body></html>',
  ].join('\n');
  return { subject: title, text, html, attachments: [{ filename: `steveslist-${kind}-usage-${from}.csv`, contentType: 'text/csv; charset=utf-8', content: csv(report) }] };
}
