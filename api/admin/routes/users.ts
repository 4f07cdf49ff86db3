import type { FastifyPluginAsync } from 'fastify';
import type { Pool, RowDataPacket } from '../../../marketplace/mysql/connection.js';
import { apiRow } from '../../../marketplace/queries/api-row.js';
import { reinstateUser, suspendUser } from '../../../marketplace/moderation/user-status.js';
import { userDetails } from '../../../marketplace/moderation/user-details.js';
import { warnUser } from '../../../marketplace/moderation/warn-user.js';
import { badRequest } from '../../errors.js';
import { idParams, reason, reasonBody, reasonOf, type ReasonBody } from '../schemas.js';
import { adminOf } from '../admin-of.js';

const time = { type: 'string' } as const;
const nullableTime = { type: ['string', 'null'] } as const;
const nullableId = { type: ['integer', 'null'] } as const;
const integer = { type: 'integer' } as const;

const profile = {
  type: 'object',
  properties: {
    id: integer, email: { type: 'string' }, name: { type: 'string' }, country: { type: ['string', 'null'] }, city: { type: ['string', 'null'] },
    status: { type: 'string' }, created_at: time, updated_at: time,
  },
} as const;

const warning = {
  type: 'object',
  properties: { id: integer, user_id: integer, reason: { type: 'string' }, complaint_id: nullableId, issued_by: { type: 'string' }, created_at: time },
} as const;

const complaint = {
  type: 'object',
  properties: {
    id: integer, reporter_id: integer, listing_id: nullableId, reported_user_id: nullableId, reason: { type: 'string' },
    details: { type: ['string', 'null'] }, status: { type: 'string' }, created_at: time, updated_at: time, resolved_at: nullableTime,
  },
} as const;

// The response schema is also a guard: a column nobody listed here (a hash) is never serialised.
const detailsResponse = {
  type: 'object',
  properties: {
    user: profile,
    login: { type: 'object', properties: { password_changed_at: nullableTime, failed_attempts: integer, locked_until: nullableTime } },
    api_keys: {
      type: 'array',
      items: { type: 'object', properties: { id: integer, name: { type: 'string' }, prefix: { type: 'string' }, created_at: time, last_used_at: nullableTime, revoked_at: nullableTime } },
    },
    counts: {
      type: 'object',
      properties: {
        listings: { type: 'object', properties: { draft: integer, active: integer, sold: integer, removed: integer, total: integer } },
        orders: { type: 'object', properties: { as_buyer: integer, as_seller: integer } },
        warnings: integer,
        open_complaints: integer,
      },
    },
    recent_orders: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          id: integer, role: { type: 'string' }, listing_id: integer, buyer_id: integer, seller_id: integer, amount: integer,
          currency: { type: 'string' }, status: { type: 'string' }, created_at: time,
        },
      },
    },
    warnings: { type: 'array', items: warning },
    open_complaints: { type: 'array', items: complaint },
  },
} as const;

const statusChange = { type: 'object', properties: { id: integer, status: { type: 'string' }, previous_status: { type: 'string' } } } as const;

const warnBody = {
  type: 'object',
  required: ['reason'],
  additionalProperties: false,
  properties: { reason, complaint_id: idParams.properties.id },
} as const;

const lookupQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    email: { type: 'string', minLength: 3, maxLength: 254, description: 'exactly this email' },
    q: { type: 'string', minLength: 1, maxLength: 254, description: 'an id, the start of an email, or part of a name' },
    limit: { type: 'integer', minimum: 1, maximum: 100, default: 50 },
  },
} as const;

const USER_COLUMNS = 'SELECT id, email, name, country, city, status, created_at, updated_at FROM users';

/** What the search box means: a number is an id, text with @ the start of an email, anything else part of a name. */
function userSearch(query: { email?: string; q?: string; limit: number }): { sql: string; params: unknown[] } {
  if (query.email !== undefined) return { sql: `${USER_COLUMNS} WHERE email = ?`, params: [query.email] };
  const text = query.q?.trim() ?? '';
  if (text === '') throw badRequest('q', 'type an id, an email or a name to search for');
  const like = `${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  if (/^\d+$/.test(text)) return { sql: `${USER_COLUMNS} WHERE id = ?`, params: [Number(text)] };
  if (text.includes('@')) return { sql: `${USER_COLUMNS} WHERE email LIKE ? ORDER BY email LIMIT ?`, params: [like, query.limit] };
  return { sql: `${USER_COLUMNS} WHERE name LIKE ? ORDER BY name, id LIMIT ?`, params: [`%${like}`, query.limit] };
}

/**
 * Support and moderation of marketplace users: find by id, email or name, view, warn, suspend, reinstate.
 * Viewing is audited too, since it shows personal data.
 */
export const userSupportRoutes: FastifyPluginAsync<{ pool: Pool }> = async (app, { pool }) => {
  app.get<{ Querystring: { email?: string; q?: string; limit: number } }>('/admin/users', { schema: { querystring: lookupQuery, response: { 200: { type: 'object', properties: { data: { type: 'array', items: profile } } } } } },
    async (request) => {
      const { sql, params } = userSearch(request.query);
      const [rows] = await pool.query<RowDataPacket[]>(sql, params);
      return { data: rows.map((row) => apiRow(row)) };
    });

  app.get<{ Params: { id: number } }>('/admin/users/:id', { schema: { params: idParams, response: { 200: detailsResponse } } },
    async (request) => userDetails(pool, adminOf(request), request.params.id));

  app.post<{ Params: { id: number }; Body: ReasonBody & { complaint_id?: number } }>('/admin/users/:id/warnings',
    { schema: { params: idParams, body: warnBody, response: { 201: warning } } },
    async (request, reply) => {
      const created = await warnUser(pool, adminOf(request), request.params.id, reasonOf(request.body), request.body.complaint_id);
      return reply.code(201).send(created);
    });

  app.post<{ Params: { id: number }; Body: ReasonBody }>('/admin/users/:id/suspend', { schema: { params: idParams, body: reasonBody, response: { 200: statusChange } } },
    async (request) => suspendUser(pool, adminOf(request), request.params.id, reasonOf(request.body)));

  app.post<{ Params: { id: number }; Body: ReasonBody }>('/admin/users/:id/reinstate', { schema: { params: idParams, body: reasonBody, response: { 200: statusChange } } },
    async (request) => reinstateUser(pool, adminOf(request), request.params.id, reasonOf(request.body)));
};
