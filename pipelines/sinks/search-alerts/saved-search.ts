// A saved search as the percolator holds it: the query and filters a user asked to be alerted on.
import type { Row } from '../../cdc/envelope.js';
import type { GeoFilter, SearchQuery } from '../search/port.js';

export interface SavedSearch {
  id: number;
  userId: number;
  q: string | null;
  country: string | null;
  city: string | null;
  category: string | null;
  minPrice: number | null;
  maxPrice: number | null;
  /** Near a point, within `withinKm` when given: only listings with coordinates match. */
  near: GeoFilter | null;
}

const text = (value: unknown): string | null => (value === null || value === undefined || value === '' ? null : String(value));
const amount = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));

/** From a saved_searches row, as the database or a change event's `after` holds it. */
export function toSavedSearch(row: Row): SavedSearch {
  return {
    id: Number(row.id), userId: Number(row.user_id), q: text(row.q), country: text(row.country), city: text(row.city),
    category: text(row.category), minPrice: amount(row.min_price), maxPrice: amount(row.max_price), near: nearOf(row),
  };
}

function nearOf(row: Row): GeoFilter | null {
  const latitude = amount(row.latitude);
  const longitude = amount(row.longitude);
  if (latitude === null || longitude === null) return null;
  const withinKm = amount(row.within_km);
  return withinKm === null ? { latitude, longitude } : { latitude, longitude, withinKm };
}

/** The search a saved search stands for: its words and filters, as a results page asks them. */
export function searchQueryOf(search: SavedSearch): SearchQuery {
  return {
    q: search.q ?? undefined, country: search.country ?? undefined, city: search.city ?? undefined, category: search.category ?? undefined,
    minPrice: search.minPrice ?? undefined, maxPrice: search.maxPrice ?? undefined, near: search.near ?? undefined,
  };
}
