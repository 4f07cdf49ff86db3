// A search as the address holds it (`/?q=bike&city=Berlin&max=500&page=2`), so a search can be
// shared, reloaded and gone back to, and as the API's parameters. Pure.
import type { SearchParams, SearchSort } from '../../../client/index.js';
import { toMinorUnits } from './money.js';

export interface SearchState {
  q: string;
  category: string;
  country: string;
  city: string;
  /** Prices as people type them, in major units of the listings' own currency. */
  min: string;
  max: string;
  /** A city to search around, as the API's `near` takes it ("Boston,US"); empty: anywhere. */
  near: string;
  /** With `near`: kilometres as typed; empty: any distance. */
  within: string;
  /** Empty: best match when there are words, else nearest first near a city, else newest. */
  sort: SearchSort | '';
  page: number;
}

export const PER_PAGE = 20;
/** The engines page no deeper than 10 000 results. */
export const MAX_PAGE = 10_000 / PER_PAGE;

const SORTS: readonly SearchSort[] = ['relevance', 'newest', 'price_asc', 'price_desc', 'distance'];
/** The radius the API accepts, in kilometres. */
export const MAX_WITHIN_KM = 20_000;

export function stateFromQuery(query: URLSearchParams): SearchState {
  const text = (name: string, max: number) => (query.get(name) ?? '').trim().slice(0, max);
  const sort = query.get('sort') ?? '';
  const page = Number(query.get('page') ?? '1');
  return {
    q: text('q', 200), category: text('category', 50), country: text('country', 2).toUpperCase(), city: text('city', 100),
    min: text('min', 16), max: text('max', 16), near: text('near', 120), within: text('within', 8),
    sort: (SORTS as readonly string[]).includes(sort) ? sort as SearchSort : '',
    page: Number.isInteger(page) && page >= 1 ? Math.min(page, MAX_PAGE) : 1,
  };
}

/** The path of a search: only what differs from the defaults, in a fixed order. */
export function pathOf(state: SearchState): string {
  const query = new URLSearchParams();
  for (const name of ['q', 'category', 'country', 'city', 'min', 'max', 'near', 'within', 'sort'] as const) {
    if (state[name]) query.set(name, state[name]);
  }
  if (state.page > 1) query.set('page', String(state.page));
  const text = query.toString();
  return text ? `/?${text}` : '/';
}

export type Params = { ok: true; params: SearchParams } | { ok: false; field: 'min' | 'max' | 'within'; message: string };

/**
 * The API's parameters. Prices are compared as stored, in minor units of each listing's currency;
 * the supported currencies all have two decimals, so "500" means 50 000 whatever the country.
 */
export function apiParams(state: SearchState): Params {
  const price = (field: 'min' | 'max'): { ok: true; value?: number } | { ok: false; field: 'min' | 'max'; message: string } => {
    if (!state[field]) return { ok: true };
    const parsed = toMinorUnits(state[field], 'usd');
    return parsed.ok ? { ok: true, value: parsed.amountMinor } : { ok: false, field, message: parsed.message };
  };
  const min = price('min');
  if (!min.ok) return min;
  const max = price('max');
  if (!max.ok) return max;
  if (min.value !== undefined && max.value !== undefined && min.value > max.value) return { ok: false, field: 'max', message: 'the highest price is below the lowest' };
  const within = state.near && state.within ? Number(state.within) : undefined;
  if (within !== undefined && !(Number.isInteger(within) && within >= 1 && within <= MAX_WITHIN_KM)) {
    return { ok: false, field: 'within', message: `give the distance as whole kilometres, 1 to ${MAX_WITHIN_KM.toLocaleString('en-US')}` };
  }
  // Nearest first needs a city; without one the sort falls back to the default.
  const sort = state.sort === 'distance' && !state.near ? '' : state.sort;
  const params: SearchParams = {
    sort: sort || (state.q ? 'relevance' : state.near ? 'distance' : 'newest'),
    page: state.page,
    per_page: PER_PAGE,
  };
  if (state.q) params.q = state.q;
  if (state.category) params.category = state.category;
  if (state.country) params.country = state.country;
  if (state.city) params.city = state.city;
  if (min.value !== undefined) params.min_price = min.value;
  if (max.value !== undefined) params.max_price = max.value;
  if (state.near) params.near = state.near;
  if (within !== undefined) params.within_km = within;
  return { ok: true, params };
}

/** The last page a result of `total` can be paged to. */
export function lastPage(total: number): number {
  return Math.max(1, Math.min(MAX_PAGE, Math.ceil(total / PER_PAGE)));
}
