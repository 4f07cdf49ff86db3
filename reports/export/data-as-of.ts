// "Data as of" per dashboard page: the oldest data the page shows. A table exported from a mart
// is as old as the mart's last refresh (when it began: what was loaded by then is in it); one
// read from the raw tables is as old as the export. A page is as old as the oldest table it reads.
import type { ClickHouseClient } from '../../warehouse/client.js';
import { readMartFreshness } from '../../warehouse/mart-freshness.js';
import { MARTS_DATABASE } from '../../warehouse/marts.js';

/** The exported table that holds each page's date, one row per page. */
export const DATA_AS_OF = 'data_as_of';

/** The marts a dashboard query reads (`marts.orders_daily`), and whether it reads raw tables too. */
export function sourcesOf(query: string): { marts: string[]; raw: boolean } {
  const marts = [...query.matchAll(/\bmarts\.`?([a-z_][a-z0-9_]*)`?/gi)].map((match) => match[1]!);
  return { marts: [...new Set(marts)].sort(), raw: /\braw\./i.test(query) };
}

export interface PageDataAsOf {
  page: string;
  /** When the oldest data the page shows was current; undefined for a page that reads no exported table. */
  asOfMs: number | undefined;
  /** The marts the page reads, by name. */
  marts: string[];
}

/**
 * Dates each page: the oldest of its marts' last refreshes and, when any of its tables reads the
 * raw layer, the export. A mart whose refresh time is not known counts as the export's age.
 */
export function pagesDataAsOf(
  pages: Record<string, string[]>, queries: Record<string, string>, martRefreshedMs: ReadonlyMap<string, number>, exportedMs: number,
): PageDataAsOf[] {
  return Object.entries(pages).map(([page, tables]) => {
    const times: number[] = [];
    const marts = new Set<string>();
    for (const table of tables) {
      const query = queries[table];
      if (query === undefined) continue;
      const sources = sourcesOf(query);
      if (sources.raw) times.push(exportedMs);
      for (const mart of sources.marts) {
        marts.add(mart);
        times.push(martRefreshedMs.get(mart) ?? exportedMs);
      }
    }
    return { page, asOfMs: times.length > 0 ? Math.min(...times) : undefined, marts: [...marts].sort() };
  });
}

/**
 * When each mart's last successful refresh began, from the warehouse's own record of its refreshes,
 * or, for a mart not refreshed since the warehouse opened, from the refresh ledger the warehouse
 * role keeps.
 */
export async function readMartRefreshTimes(client: ClickHouseClient): Promise<Map<string, number>> {
  const result = await client.query({
    query: `SELECT view, toUnixTimestamp(last_success_time) * 1000 AS ms FROM system.view_refreshes
            WHERE database = {db:String} AND last_success_time IS NOT NULL`,
    query_params: { db: MARTS_DATABASE }, format: 'JSONEachRow', clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
  });
  const times = new Map((await result.json<{ view: string; ms: number }>()).map((row) => [row.view, Number(row.ms)]));
  for (const mart of await readMartFreshness(client)) {
    if (!times.has(mart.mart) && mart.refreshed_at) times.set(mart.mart, Date.parse(mart.refreshed_at));
  }
  return times;
}

/** As pages show it: to the second, in UTC. */
export function formatDataAsOf(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}
