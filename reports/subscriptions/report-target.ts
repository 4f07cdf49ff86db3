// What a subscription mails: a saved query's result, or the data a dashboard page is drawn from,
// each as a CSV attachment with a header row. A saved query is staff-written SQL, so it runs under
// the analyst guard with the analyst's limits; a page's tables are the dashboards' own queries.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EmailAttachment } from '../../pipelines/sinks/email/templates.js';
import { analystQuery } from '../../warehouse/analyst-query.js';
import { readAll, type ClickHouseClient } from '../../warehouse/client.js';
import { DASHBOARD_QUERIES } from '../export/export-marts.js';
import { dashboardPages, DEFAULT_PAGES_DIR, pageTables as tablesOfPage } from '../export/page-tables.js';

export { DEFAULT_PAGES_DIR };

/** An email's CSV is held in the queue's row until it is sent: large results belong in `steveslist sql`. */
export const MAX_ATTACHMENT_ROWS = 50_000;
/** Below MariaDB's default max_allowed_packet (16 MiB), with room for the rest of the email. */
export const MAX_ATTACHMENT_BYTES = 8 * 1024 * 1024;
const QUERY_TIMEOUT_SECONDS = 120;

export type ReportTarget = { kind: 'page'; page: string } | { kind: 'query'; sql: string };

export interface ReportResult {
  attachments: EmailAttachment[];
  /** Data rows over every attachment (header rows not counted). */
  rows: number;
  /** Per attachment, for the email's text. */
  parts: { filename: string; rows: number }[];
}

/** Lines of CSV that are records: a quoted field may hold line breaks. */
export function csvRecordCount(csv: string): number {
  let records = 0;
  let quoted = false;
  let sawContent = false;
  for (let i = 0; i < csv.length; i++) {
    const c = csv[i];
    if (c === '"') quoted = !quoted;
    else if (c === '\n' && !quoted) {
      records++;
      sawContent = false;
      continue;
    }
    if (c !== '\r') sawContent = true;
  }
  return records + (sawContent ? 1 : 0);
}

/** `platform`, `/reports/platform`, `/reports/` (the index) -> the page's name. */
export function pageName(path: string): string {
  const name = path.trim().replace(/^\/?reports(\/|$)/, '').replace(/^\/+|\/+$/g, '').replace(/\.md$/, '');
  return name === '' ? 'index' : name;
}

export { dashboardPages };

/** The dashboard tables a page's SQL reads (`from warehouse.daily_listings`), in the order it names them. */
export function pageTables(pageText: string, queries: Record<string, string> = DASHBOARD_QUERIES): string[] {
  return tablesOfPage(pageText, queries);
}

const safeName = (text: string) => text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60) || 'report';

export interface PageSources {
  /** The dashboard pages' folder; default reports/pages. */
  pagesDir?: string;
  /** The query behind each dashboard table; default the dashboards' export (export-marts.ts). */
  dashboardQueries?: Record<string, string>;
}

export async function runReportTarget(warehouse: ClickHouseClient, target: ReportTarget, options: { name: string; date: string } & PageSources): Promise<ReportResult> {
  const parts: { filename: string; csv: string }[] = [];
  if (target.kind === 'query') {
    const csv = (await analystQuery(warehouse, target.sql, { format: 'csv', maxRows: MAX_ATTACHMENT_ROWS, timeoutSeconds: QUERY_TIMEOUT_SECONDS })).toString('utf8');
    parts.push({ filename: `${safeName(options.name)}-${options.date}.csv`, csv });
  } else {
    const text = readFileSync(join(options.pagesDir ?? DEFAULT_PAGES_DIR, `${target.page}.md`), 'utf8');
    const queries = options.dashboardQueries ?? DASHBOARD_QUERIES;
    for (const table of pageTables(text, queries)) {
      const { stream } = await warehouse.exec({ query: `SELECT * FROM (${queries[table]}) LIMIT ${MAX_ATTACHMENT_ROWS} FORMAT CSVWithNames` });
      parts.push({ filename: `${safeName(target.page)}-${table}-${options.date}.csv`, csv: (await readAll(stream)).toString('utf8') });
    }
  }
  const bytes = parts.reduce((sum, part) => sum + Buffer.byteLength(part.csv), 0);
  if (bytes > MAX_ATTACHMENT_BYTES) {
    throw new Error(`the result is ${(bytes / 1024 / 1024).toFixed(1)} MiB as CSV, more than an email carries (${MAX_ATTACHMENT_BYTES / 1024 / 1024} MiB): narrow the query, or run it with steveslist sql`);
  }
  const counted = parts.map((part) => ({ ...part, rows: Math.max(0, csvRecordCount(part.csv) - 1) }));
  return {
    attachments: counted.map((part) => ({ filename: part.filename, contentType: 'text/csv; charset=utf-8', content: part.csv })),
    rows: counted.reduce((sum, part) => sum + part.rows, 0),
    parts: counted.map(({ filename, rows }) => ({ filename, rows })),
  };
}
