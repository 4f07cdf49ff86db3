// The saved-search calls of the web app (POST/GET/PATCH/DELETE /v1/saved-searches), with the
// session's token; failures carry the API's message, which names the field and the reason.
import type { App } from './app.js';

export interface SavedSearch {
  id: number;
  q: string | null;
  country: string | null;
  city: string | null;
  category: string | null;
  min_price: number | null;
  max_price: number | null;
  /** The city the search measures from ("Boston,US"), and the radius; null when it has none. */
  near: string | null;
  within_km: number | null;
  alerts_enabled: boolean;
  description: string;
  matches: number;
  last_emailed_at: string | null;
  created_at: string;
}

export type SavedSearchInput = Partial<Pick<SavedSearch, 'q' | 'country' | 'city' | 'category' | 'min_price' | 'max_price'>> & { near?: string; within_km?: number };

async function call<T>(app: App, method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  const token = app.session.current?.token;
  let response: Response;
  try {
    response = await fetch(path, {
      method, signal,
      headers: { ...(token && { authorization: `Bearer ${token}` }), ...(body !== undefined && { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    if (signal?.aborted) throw error;
    throw new Error('Could not reach Steveslist. Check your connection and try again.');
  }
  if (response.status === 204) return undefined as T;
  const answer = await response.json().catch(() => ({})) as { message?: string };
  if (!response.ok) throw new Error(answer.message ?? `the server answered ${response.status}`);
  return answer as T;
}

export const savedSearches = {
  create: (app: App, input: SavedSearchInput) => call<SavedSearch>(app, 'POST', '/v1/saved-searches', input),
  list: (app: App, signal?: AbortSignal) => call<{ data: SavedSearch[] }>(app, 'GET', '/v1/saved-searches', undefined, signal),
  setAlerts: (app: App, id: number, enabled: boolean) => call<SavedSearch>(app, 'PATCH', `/v1/saved-searches/${id}`, { alerts_enabled: enabled }),
  remove: (app: App, id: number) => call<void>(app, 'DELETE', `/v1/saved-searches/${id}`),
};
