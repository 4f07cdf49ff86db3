// Cursors are opaque to clients (base64url), so the paging key can change without breaking them.
import type { Page, PageRequest } from '../../marketplace/queries/keyset-page.js';
import { badRequest } from '../errors.js';

export const pageQueryProperties = {
  limit: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
  cursor: { type: 'string', minLength: 1, maxLength: 64, description: 'next_cursor of the previous page' },
} as const;

export interface PageQuery {
  limit: number;
  cursor?: string;
}

export function pageRequest(query: PageQuery): PageRequest {
  if (query.cursor === undefined) return { limit: query.limit };
  const decoded = Buffer.from(query.cursor, 'base64url').toString();
  if (!/^b[1-9]\d{0,17}$/.test(decoded)) throw badRequest('cursor', 'is not a cursor this API gave out; pass next_cursor back as it came');
  return { limit: query.limit, beforeId: Number(decoded.slice(1)) };
}

export function pageResponse<T>(page: Page<T>): { data: T[]; next_cursor: string | null } {
  return { data: page.items, next_cursor: page.nextBeforeId === undefined ? null : Buffer.from(`b${page.nextBeforeId}`).toString('base64url') };
}

export function pageSchema(item: object): object {
  return {
    type: 'object',
    properties: { data: { type: 'array', items: item }, next_cursor: { type: ['string', 'null'] } },
  };
}
