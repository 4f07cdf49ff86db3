// Saved searches: a user's query and filters kept so new listings that match are sent to them
// (the search-alerts worker matches and mails). Only the owner reads, changes or deletes one.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { NotFoundError } from '../../core/errors.js';
import { localSecret } from '../../core/served-file.js';
import type { Pool, ResultSetHeader, RowDataPacket } from '../mysql/connection.js';
import { withTransaction } from './transaction.js';

export interface SavedSearchFilters {
  q?: string | null;
  country?: string | null;
  city?: string | null;
  category?: string | null;
  minPrice?: number | null;
  maxPrice?: number | null;
  /** Near a city (search's `near`), within `withinKm` when given; listings without coordinates never match. */
  near?: SavedSearchPlace | null;
}

export interface SavedSearchPlace {
  /** The city as `near` names it again ("Boston,US"). */
  label: string;
  latitude: number;
  longitude: number;
  withinKm: number | null;
}

export interface NewSavedSearch extends SavedSearchFilters {
  userId: number;
  /** The site's address (scheme, host, port) the alert's links point at. */
  siteUrl: string;
}

export interface SavedSearchRow {
  id: number;
  user_id: number;
  q: string | null;
  country: string | null;
  city: string | null;
  category: string | null;
  min_price: number | null;
  max_price: number | null;
  near_label: string | null;
  latitude: number | null;
  longitude: number | null;
  within_km: number | null;
  alerts_enabled: boolean;
  last_emailed_at: Date | null;
  created_at: Date;
  /** Listings matched so far. */
  matches: number;
}

const COLUMNS = 's.id, s.user_id, s.q, s.country, s.city, s.category, s.min_price, s.max_price, s.near_label, s.latitude, s.longitude, s.within_km, s.alerts_enabled, s.last_emailed_at, s.created_at';

const numberOrNull = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));

function toRow(row: RowDataPacket): SavedSearchRow {
  return {
    id: Number(row.id), user_id: Number(row.user_id), q: row.q ?? null, country: row.country ?? null, city: row.city ?? null, category: row.category ?? null,
    min_price: row.min_price === null ? null : Number(row.min_price), max_price: row.max_price === null ? null : Number(row.max_price),
    near_label: row.near_label ?? null, latitude: numberOrNull(row.latitude), longitude: numberOrNull(row.longitude), within_km: numberOrNull(row.within_km),
    alerts_enabled: Boolean(row.alerts_enabled), last_emailed_at: row.last_emailed_at ?? null, created_at: row.created_at, matches: Number(row.matches ?? 0),
  };
}

/** The filters of a saved_searches row (its columns by name, as any query selecting them holds them). */
export function filtersOfRow(columns: object): SavedSearchFilters {
  const row = columns as Record<string, unknown>;
  const text = (value: unknown) => (value === null || value === undefined ? null : String(value));
  const latitude = numberOrNull(row.latitude);
  const longitude = numberOrNull(row.longitude);
  return {
    q: text(row.q), country: text(row.country), city: text(row.city), category: text(row.category),
    minPrice: numberOrNull(row.min_price), maxPrice: numberOrNull(row.max_price),
    near: latitude === null || longitude === null ? null : { label: text(row.near_label) ?? `${latitude},${longitude}`, latitude, longitude, withinKm: numberOrNull(row.within_km) },
  };
}

/** What a person would call the search: its words, then its filters. */
export function describeSavedSearch(search: SavedSearchFilters): string {
  const parts: string[] = [];
  if (search.q) parts.push(`"${search.q}"`);
  if (search.category) parts.push(`in ${search.category}`);
  const place = [search.city, search.country].filter(Boolean).join(', ');
  if (place) parts.push(`near ${place}`);
  if (search.near) {
    const city = search.near.label.replace(/,\s*([A-Za-z]{2})$/, ', $1');
    parts.push(search.near.withinKm === null ? `around ${city}` : `within ${search.near.withinKm} km of ${city}`);
  }
  const money = (cents: number) => (cents / 100).toFixed(2).replace(/\.00$/, '');
  if (search.minPrice != null && search.maxPrice != null) parts.push(`from ${money(search.minPrice)} to ${money(search.maxPrice)}`);
  else if (search.minPrice != null) parts.push(`from ${money(search.minPrice)}`);
  else if (search.maxPrice != null) parts.push(`up to ${money(search.maxPrice)}`);
  return parts.join(' ') || 'every listing';
}

export async function createSavedSearch(pool: Pool, search: NewSavedSearch): Promise<SavedSearchRow> {
  const [result] = await pool.query<ResultSetHeader>(
    `INSERT INTO saved_searches (user_id, q, country, city, category, min_price, max_price, near_label, latitude, longitude, within_km, site_url)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [search.userId, search.q?.trim() || null, search.country ?? null, search.city ?? null, search.category ?? null, search.minPrice ?? null, search.maxPrice ?? null,
      search.near?.label ?? null, search.near?.latitude ?? null, search.near?.longitude ?? null, search.near?.withinKm ?? null, search.siteUrl],
  );
  return getSavedSearch(pool, result.insertId, search.userId);
}

export async function listSavedSearches(pool: Pool, userId: number): Promise<SavedSearchRow[]> {
  const [rows] = await pool.query<RowDataPacket[]>(
    `SELECT ${COLUMNS}, (SELECT COUNT(*) FROM saved_search_matches m WHERE m.saved_search_id = s.id) AS matches
       FROM saved_searches s WHERE s.user_id = ? ORDER BY s.created_at DESC, s.id DESC`, [userId],
  );
  return rows.map(toRow);
}

/** The caller's saved search; another user's is as absent as a missing one. */
export async function getSavedSearch(pool: Pool, id: number, userId: number): Promise<SavedSearchRow> {
  const [rows] = await pool.query<RowDataPacket[]>(
    `SELECT ${COLUMNS}, (SELECT COUNT(*) FROM saved_search_matches m WHERE m.saved_search_id = s.id) AS matches
       FROM saved_searches s WHERE s.id = ? AND s.user_id = ?`, [id, userId],
  );
  if (!rows[0]) throw new NotFoundError(`saved search ${id} does not exist`);
  return toRow(rows[0]);
}

export async function setSavedSearchAlerts(pool: Pool, id: number, userId: number, enabled: boolean): Promise<SavedSearchRow> {
  const [result] = await pool.query<ResultSetHeader>('UPDATE saved_searches SET alerts_enabled = ? WHERE id = ? AND user_id = ?', [enabled, id, userId]);
  if (result.affectedRows === 0) throw new NotFoundError(`saved search ${id} does not exist`);
  return getSavedSearch(pool, id, userId);
}

export async function deleteSavedSearch(pool: Pool, id: number, userId: number): Promise<void> {
  // Its matches go by statement, not by a cascading foreign key: a cascade changes rows without
  // binlog row events, so change capture would never see them go.
  await withTransaction(pool, async (connection) => {
    const [owned] = await connection.query<RowDataPacket[]>('SELECT id FROM saved_searches WHERE id = ? AND user_id = ? FOR UPDATE', [id, userId]);
    if (owned.length === 0) throw new NotFoundError(`saved search ${id} does not exist`);
    await connection.query('DELETE FROM saved_search_matches WHERE saved_search_id = ?', [id]);
    await connection.query('DELETE FROM saved_searches WHERE id = ?', [id]);
  });
}

/** Stops a search's emails (the signed link's doing; whoever holds the link may). False when the search is gone. */
export async function unsubscribeSavedSearch(pool: Pool, id: number): Promise<boolean> {
  const [result] = await pool.query<ResultSetHeader>('UPDATE saved_searches SET alerts_enabled = 0 WHERE id = ?', [id]);
  return result.affectedRows > 0;
}

/**
 * The key that signs unsubscribe links, made on first use. Kept in the database so the API and
 * any alerts worker, on whatever machine, sign and check with the same one.
 */
export async function unsubscribeLinkKey(pool: Pool): Promise<string> {
  await pool.query('INSERT IGNORE INTO saved_search_link_keys (id, secret) VALUES (1, ?)', [localSecret()]);
  const [rows] = await pool.query<RowDataPacket[]>('SELECT secret FROM saved_search_link_keys WHERE id = 1');
  return String(rows[0]!.secret);
}

/** The signature in a saved search's unsubscribe link (HMAC-SHA256 over its id). */
export function unsubscribeSignature(key: string, savedSearchId: number): string {
  return createHmac('sha256', key).update(`saved-search-unsubscribe:${savedSearchId}`).digest('base64url');
}

export function checkUnsubscribeSignature(key: string, savedSearchId: number, signature: string): boolean {
  const expected = Buffer.from(unsubscribeSignature(key, savedSearchId));
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** The one-click unsubscribe address of a saved search on a site. */
export function unsubscribeUrl(siteUrl: string, key: string, savedSearchId: number): string {
  return `${siteUrl}/alerts/unsubscribe?s=${savedSearchId}&sig=${unsubscribeSignature(key, savedSearchId)}`;
}
