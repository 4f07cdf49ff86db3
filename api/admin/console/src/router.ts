// Paths to pages, with history: links marked data-nav change the page without a reload.
import type { Staff } from './session.js';

export interface PageContext {
  params: Record<string, string>;
  query: URLSearchParams;
  staff: Staff;
  navigate: (path: string) => void;
}

export type Page = (context: PageContext) => HTMLElement;

export interface Route {
  pattern: string;
  page: Page;
}

export function match(routes: Route[], path: string): { route: Route; params: Record<string, string> } | undefined {
  const parts = path.replace(/\/+$/, '').split('/');
  for (const route of routes) {
    const pattern = route.pattern.replace(/\/+$/, '').split('/');
    if (pattern.length !== parts.length) continue;
    const params: Record<string, string> = {};
    if (pattern.every((segment, i) => (segment.startsWith(':') ? ((params[segment.slice(1)] = decodeURIComponent(parts[i]!)), true) : segment === parts[i]))) {
      return { route, params };
    }
  }
  return undefined;
}
