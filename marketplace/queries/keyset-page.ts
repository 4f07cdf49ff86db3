// Newest-first pages by primary key: `WHERE id < <last id seen>` stays fast at any depth, unlike
// OFFSET, and rows inserted meanwhile never shift a page.
import type { Pool, RowDataPacket } from '../mysql/connection.js';
import { apiRow } from './api-row.js';

export interface PageRequest {
  limit: number;
  /** The last id of the previous page. */
  beforeId?: number;
}

export interface Page<T> {
  items: T[];
  /** Set when there are more rows: the `beforeId` of the next page. */
  nextBeforeId: number | undefined;
}

export interface Filter {
  conditions: string[];
  params: unknown[];
}

export async function keysetPage<T extends { id: number }>(pool: Pool, select: string, filter: Filter, request: PageRequest): Promise<Page<T>> {
  const conditions = [...filter.conditions];
  const params = [...filter.params];
  if (request.beforeId !== undefined) {
    conditions.push('id < ?');
    params.push(request.beforeId);
  }
  const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
  const [rows] = await pool.query<RowDataPacket[]>(`${select} ${where} ORDER BY id DESC LIMIT ?`, [...params, request.limit + 1]);
  const items = rows.slice(0, request.limit).map((row) => apiRow<T>(row));
  return { items, nextBeforeId: rows.length > request.limit ? items.at(-1)!.id : undefined };
}

/** Adds `column = ?` for each defined value. */
export function equalities(values: Record<string, unknown>): Filter {
  const defined = Object.entries(values).filter(([, value]) => value !== undefined);
  return { conditions: defined.map(([column]) => `${column} = ?`), params: defined.map(([, value]) => value) };
}
