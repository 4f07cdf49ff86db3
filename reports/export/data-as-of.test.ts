// Each page's "data as of": which marts and raw tables a dashboard query reads, a page dated by the
// oldest of them, and every page showing its own date. Pure: no warehouse needed.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DATA_AS_OF, formatDataAsOf, pagesDataAsOf, sourcesOf } from './data-as-of.js';
import { DASHBOARD_QUERIES } from './export-marts.js';
import { dashboardPages, DEFAULT_PAGES_DIR, pageTables } from './page-tables.js';

const at = (time: string) => Date.parse(`2026-12-06T${time}Z`);

describe('data as of', () => {
  it('finds the marts a query reads, and whether it reads raw tables', () => {
    expect(sourcesOf('SELECT * FROM marts.orders_daily JOIN marts.`user_cohorts` USING (x) UNION ALL SELECT * FROM marts.orders_daily')).toEqual({ marts: ['orders_daily', 'user_cohorts'], raw: false });
    expect(sourcesOf('SELECT count() FROM raw.orders FINAL')).toEqual({ marts: [], raw: true });
  });

  it('dates a page by the oldest mart refresh it reads, or by the export when it reads raw tables', () => {
    const queries = { a: 'SELECT * FROM marts.one', b: 'SELECT * FROM marts.two', c: 'SELECT * FROM raw.orders', d: 'SELECT * FROM marts.never' };
    const refreshed = new Map([['one', at('10:00:05')], ['two', at('10:00:01')]]);
    const exported = at('10:00:30');
    expect(pagesDataAsOf({ marts: ['a', 'b'], mixed: ['a', 'c'], raw: ['c'], unknown: ['a', 'd'], none: [] }, queries, refreshed, exported)).toEqual([
      { page: 'marts', asOfMs: at('10:00:01'), marts: ['one', 'two'] },
      { page: 'mixed', asOfMs: at('10:00:05'), marts: ['one'] },
      { page: 'raw', asOfMs: exported, marts: [] },
      // A mart without a known refresh counts as the export's age, not as older or newer.
      { page: 'unknown', asOfMs: at('10:00:05'), marts: ['never', 'one'] },
      { page: 'none', asOfMs: undefined, marts: [] },
    ]);
    expect(formatDataAsOf(at('10:00:01.900'))).toBe('2026-12-06 10:00:01 UTC');
  });

  it('reads the sales, top-sellers and funnel numbers from marts, not from the raw tables', () => {
    for (const name of ['gmv_by_category', 'gmv_by_country', 'top_sellers', 'funnel_cohorts', 'supply_demand', 'orders_daily', 'orders_by_day', 'daily_listings', 'user_cohorts']) {
      const sources = sourcesOf(DASHBOARD_QUERIES[name]!);
      expect(sources.raw, name).toBe(false);
      expect(sources.marts.length, name).toBeGreaterThan(0);
    }
  });

  it('has every page show its own date, and read only tables the export writes', () => {
    const pages = dashboardPages();
    expect(pages).toContain('index');
    for (const page of pages) {
      const text = readFileSync(join(DEFAULT_PAGES_DIR, `${page}.md`), 'utf8');
      const ownDate = text.indexOf(`select data_as_of from warehouse.${DATA_AS_OF} where page = '${page}'`);
      expect(ownDate, page).toBeGreaterThan(0);
      expect(text.indexOf('{@partial "data-as-of.md"}'), page).toBeGreaterThan(ownDate);
      const named = [...new Set([...text.matchAll(/\bwarehouse\.([a-z_][a-z0-9_]*)/g)].map((m) => m[1]!))].filter((name) => name !== DATA_AS_OF);
      expect(pageTables(text, DASHBOARD_QUERIES), page).toEqual(named);
    }
  });
});
