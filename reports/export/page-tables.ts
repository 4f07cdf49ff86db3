// Which dashboard pages there are and which exported tables each reads: the export dates each page
// by what it reads, and subscriptions mail a page's tables.
import { readdirSync } from 'node:fs';
import { projectPath } from '../../core/project-root.js';

export const DEFAULT_PAGES_DIR = projectPath('reports', 'pages');

/** The pages' names (their files without `.md`), sorted. */
export function dashboardPages(pagesDir = DEFAULT_PAGES_DIR): string[] {
  try {
    return readdirSync(pagesDir).filter((file) => file.endsWith('.md')).map((file) => file.slice(0, -3)).sort();
  } catch {
    return [];
  }
}

/** The dashboard tables a page's SQL reads (`from warehouse.daily_listings`), in the order it names them. */
export function pageTables(pageText: string, queries: Record<string, string>): string[] {
  const names = [...pageText.matchAll(/\bwarehouse\.([a-z_][a-z0-9_]*)/gi)].map((match) => match[1]!.toLowerCase());
  return [...new Set(names)].filter((name) => Object.hasOwn(queries, name));
}
