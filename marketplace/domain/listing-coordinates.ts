// Gives coordinates to listings stored without them: the rows that existed before migration 027,
// and any whose city the gazetteer learnt since. The rows' changes reach search and the warehouse
// through change capture like any write; no domain event, as nothing happened to the listing.
import type { Pool, ResultSetHeader, RowDataPacket } from '../mysql/connection.js';
import type { Gazetteer } from '../places/gazetteer.js';

export interface LocateOutcome {
  /** Listings that got coordinates. */
  located: number;
  /** Listings left without: the gazetteer does not know their city. */
  unknown: number;
}

/** Walks the listings without coordinates in id order, a batch at a time. */
export async function locateListings(pool: Pool, places: Gazetteer, options: { batchSize?: number } = {}): Promise<LocateOutcome> {
  const batchSize = options.batchSize ?? 1_000;
  const outcome: LocateOutcome = { located: 0, unknown: 0 };
  let afterId = 0;
  for (;;) {
    const [rows] = await pool.query<RowDataPacket[]>(
      'SELECT id, country, city FROM listings WHERE latitude IS NULL AND id > ? ORDER BY id LIMIT ?', [afterId, batchSize]);
    if (rows.length === 0) return outcome;
    afterId = Number(rows[rows.length - 1]!.id);
    const byPlace = new Map<string, { country: string; city: string; ids: number[] }>();
    for (const row of rows) {
      const key = `${row.country}\u0000${row.city}`;
      const group = byPlace.get(key) ?? { country: String(row.country), city: String(row.city), ids: [] };
      group.ids.push(Number(row.id));
      byPlace.set(key, group);
    }
    for (const { country, city, ids } of byPlace.values()) {
      const place = await places.locate(city, country);
      if (!place) {
        outcome.unknown += ids.length;
        continue;
      }
      // The city is checked again: a seller may have moved the listing since it was read.
      const [result] = await pool.query<ResultSetHeader>(
        'UPDATE listings SET latitude = ?, longitude = ? WHERE id IN (?) AND latitude IS NULL AND country = ? AND city = ?',
        [place.latitude, place.longitude, ids, country, city]);
      outcome.located += result.affectedRows;
    }
  }
}
