// Saved searches with alerts: "alert me" on a results page saves its query and filters; the
// search-alerts worker then mails new matches. Only the owner sees, changes or deletes a search.
// The signed one-click unsubscribe link of every alert email lands here too (no login needed).
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { escapeHtml } from '../../../core/escape-html.js';
import {
  checkUnsubscribeSignature, createSavedSearch, deleteSavedSearch, describeSavedSearch, filtersOfRow, getSavedSearch, listSavedSearches,
  setSavedSearchAlerts, unsubscribeLinkKey, unsubscribeSavedSearch, type SavedSearchRow,
} from '../../../marketplace/domain/saved-searches.js';
import type { Pool, RowDataPacket } from '../../../marketplace/mysql/connection.js';
import type { Gazetteer } from '../../../marketplace/places/gazetteer.js';
import { worldCities } from '../../../marketplace/places/geonames-gazetteer.js';
import { words } from '../../../pipelines/sinks/search/query-terms.js';
import { badRequest } from '../../errors.js';
import { callerOf } from '../caller.js';
import { nearText } from '../near-place.js';
import { nearProperties, readNear, type NearInput } from '../near-query.js';
import { requireServedCategory } from '../served-category.js';
import { idParams } from '../schemas.js';

export interface SavedSearchRouteOptions {
  pool: Pool;
  /** Resolves `near`, as search does; the world-cities gazetteer unless another is given. */
  places?: Gazetteer;
}

interface SavedSearchInput extends NearInput {
  q?: string;
  country?: string;
  city?: string;
  category?: string;
  min_price?: number;
  max_price?: number;
}

const nullableText = { type: ['string', 'null'] } as const;
const nullableInteger = { type: ['integer', 'null'] } as const;
const nullableNumber = { type: ['number', 'null'] } as const;

export const savedSearchSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' }, q: nullableText, country: nullableText, city: nullableText, category: nullableText,
    min_price: nullableInteger, max_price: nullableInteger,
    near: { ...nullableText, description: 'The city the search measures from, as near takes it ("Boston,US"); null when the search has no place' },
    within_km: { ...nullableNumber, description: 'Only listings at most this many kilometres from near; null: any distance (listings with coordinates)' },
    latitude: nullableNumber, longitude: nullableNumber, alerts_enabled: { type: 'boolean' }, description: { type: 'string' },
    matches: { type: 'integer' }, last_emailed_at: { type: ['string', 'null'], format: 'date-time' }, created_at: { type: 'string', format: 'date-time' },
  },
} as const;

/** The same filters GET /v1/search takes, so a results page's address saves as it is. */
const inputProperties = {
  q: { type: 'string', maxLength: 200, description: 'Words every match must have (word forms and typos as search treats them)' },
  country: { type: 'string', pattern: '^[A-Za-z]{2}$', description: 'ISO 3166 alpha-2 code' },
  city: { type: 'string', minLength: 1, maxLength: 100, pattern: '\\S' },
  category: { type: 'string', minLength: 1, maxLength: 50, pattern: '\\S' },
  min_price: { type: 'integer', minimum: 0, maximum: 1_000_000_000_000, description: 'In minor units (cents)' },
  max_price: { type: 'integer', minimum: 0, maximum: 1_000_000_000_000, description: 'In minor units (cents)' },
  ...nearProperties,
} as const;

const time = (value: unknown): string | null => {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  return `${String(value).replace(' ', 'T')}Z`;
};

function toApi(row: SavedSearchRow) {
  return {
    id: row.id, q: row.q, country: row.country, city: row.city, category: row.category, min_price: row.min_price, max_price: row.max_price,
    near: row.near_label, within_km: row.within_km, latitude: row.latitude, longitude: row.longitude, alerts_enabled: row.alerts_enabled, matches: row.matches, last_emailed_at: time(row.last_emailed_at), created_at: time(row.created_at),
    description: describeSavedSearch(filtersOfRow(row)),
  };
}

/** A search is filed by its words, else by a place or category filter: a price alone would match half the site. */
function validate(body: SavedSearchInput): void {
  if (body.min_price !== undefined && body.max_price !== undefined && body.min_price > body.max_price) throw badRequest('min_price', 'must not be above max_price');
  if (body.q !== undefined && body.q.trim() !== '' && words(body.q).length === 0) throw badRequest('q', 'has no words to search for (letters or digits)');
  if (words(body.q ?? '').length === 0 && !body.country && !body.city && !body.category && body.near === undefined) {
    throw badRequest('q', 'give words to search for, or a category, city, country or near: an alert needs at least one of them');
  }
  requireServedCategory(body.category === undefined ? undefined : categoryCode(body.category));
}

/** Categories are codes in lower case; a saved search takes "Furniture" for furniture. */
function categoryCode(category: string): string {
  return category.trim().toLowerCase();
}

/** The address the search was saved from (scheme and host), where its alert's links will point. */
function siteUrl(request: FastifyRequest): string {
  return `${request.protocol}://${request.host}`;
}

function page(reply: FastifyReply, status: number, title: string, body: string) {
  return reply.code(status).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">`
    + `<meta name="robots" content="noindex"><title>${escapeHtml(title)} · Steveslist</title>`
    + '<style>body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;color:#1a1a1a}'
    + 'button{font:inherit;padding:.5rem 1rem;border-radius:6px;border:1px solid #7a2a12;background:#a8361b;color:#fff;cursor:pointer}a{color:#a8361b}</style>'
    + `</head><body><h1>${escapeHtml(title)}</h1>${body}<p><a href="/">Steveslist</a> · <a href="/alerts">Your alerts</a></p></body></html>`,
  );
}

interface UnsubscribeQuery {
  s?: string;
  sig?: string;
}

const unsubscribeSchema = {
  hide: true,
  querystring: { type: 'object', properties: { s: { type: 'string', maxLength: 20 }, sig: { type: 'string', maxLength: 100 } } },
};

export const savedSearchRoutes: FastifyPluginAsync<SavedSearchRouteOptions> = async (app, { pool, places = worldCities() }) => {
  app.post<{ Body: SavedSearchInput }>('/v1/saved-searches', {
    schema: {
      tags: ['saved-searches'], summary: 'Save a search and be alerted by email (and webhook) to new matching listings',
      body: { type: 'object', additionalProperties: false, properties: inputProperties }, response: { 201: savedSearchSchema },
    },
    config: { auth: 'required' },
  }, async (request, reply) => {
    const { userId } = callerOf(request);
    const body = request.body;
    validate(body);
    const near = await readNear(places, body);
    const saved = await createSavedSearch(pool, {
      userId, siteUrl: siteUrl(request), q: body.q, country: body.country?.toUpperCase(), city: body.city?.trim(), category: body.category === undefined ? undefined : categoryCode(body.category),
      minPrice: body.min_price, maxPrice: body.max_price,
      near: near && { label: nearText(near.place), latitude: near.filter.latitude, longitude: near.filter.longitude, withinKm: near.filter.withinKm ?? null },
    });
    return reply.code(201).send(toApi(saved));
  });

  app.get('/v1/saved-searches', {
    schema: { tags: ['saved-searches'], summary: 'Your saved searches, newest first', response: { 200: { type: 'object', properties: { data: { type: 'array', items: savedSearchSchema } } } } },
    config: { auth: 'required' },
  }, async (request) => ({ data: (await listSavedSearches(pool, callerOf(request).userId)).map(toApi) }));

  app.get<{ Params: { id: number } }>('/v1/saved-searches/:id', {
    schema: { tags: ['saved-searches'], summary: 'One of your saved searches', params: idParams, response: { 200: savedSearchSchema } },
    config: { auth: 'required' },
  }, async (request) => toApi(await getSavedSearch(pool, request.params.id, callerOf(request).userId)));

  app.patch<{ Params: { id: number }; Body: { alerts_enabled: boolean } }>('/v1/saved-searches/:id', {
    schema: {
      tags: ['saved-searches'], summary: 'Pause or resume a saved search\'s alerts', params: idParams,
      body: { type: 'object', required: ['alerts_enabled'], additionalProperties: false, properties: { alerts_enabled: { type: 'boolean' } } },
      response: { 200: savedSearchSchema },
    },
    config: { auth: 'required' },
  }, async (request) => toApi(await setSavedSearchAlerts(pool, request.params.id, callerOf(request).userId, request.body.alerts_enabled)));

  app.delete<{ Params: { id: number } }>('/v1/saved-searches/:id', {
    schema: { tags: ['saved-searches'], summary: 'Delete a saved search and its alerts', params: idParams },
    config: { auth: 'required' },
  }, async (request, reply) => {
    await deleteSavedSearch(pool, request.params.id, callerOf(request).userId);
    return reply.code(204).send();
  });

  /** The link's search, when its signature holds. */
  async function signedSearch(query: UnsubscribeQuery): Promise<{ id: number; description: string } | undefined> {
    const id = Number(query.s);
    if (!Number.isSafeInteger(id) || id < 1 || !query.sig) return undefined;
    if (!checkUnsubscribeSignature(await unsubscribeLinkKey(pool), id, query.sig)) return undefined;
    const [rows] = await pool.query<RowDataPacket[]>(
      'SELECT q, country, city, category, min_price, max_price, near_label, latitude, longitude, within_km FROM saved_searches WHERE id = ?', [id],
    );
    const description = rows[0] ? describeSavedSearch(filtersOfRow(rows[0])) : 'a deleted search';
    return { id, description };
  }

  const BAD_LINK = '<p>This unsubscribe link is incomplete or was changed. Open it again from the alert email, or manage your alerts after logging in.</p>';

  // The link's routes take the bodies a form and RFC 8058 send; the API's other routes keep JSON only.
  await app.register(async (links) => {
    links.addContentTypeParser(['application/x-www-form-urlencoded', 'multipart/form-data'], { parseAs: 'string' }, (_request, body, done) => done(null, body));
    registerUnsubscribe(links);
  });

  function registerUnsubscribe(app: Parameters<FastifyPluginAsync>[0]): void {
    // GET only asks: mail scanners follow links, and must not unsubscribe anyone by doing so.
    app.get<{ Querystring: UnsubscribeQuery }>('/alerts/unsubscribe', { schema: unsubscribeSchema }, async (request, reply) => {
      const search = await signedSearch(request.query);
      if (!search) return page(reply, 400, 'This link does not work', BAD_LINK);
      const action = `/alerts/unsubscribe?s=${search.id}&amp;sig=${encodeURIComponent(request.query.sig!)}`;
      return page(reply, 200, 'Stop these alerts?', `<p>You will get no more emails for your saved search ${escapeHtml(search.description)}.</p>`
        + `<form method="post" action="${action}"><button type="submit">Unsubscribe</button></form>`);
    });

    // RFC 8058 one-click: the mail client POSTs "List-Unsubscribe=One-Click" to the same address.
    app.post<{ Querystring: UnsubscribeQuery }>('/alerts/unsubscribe', { schema: unsubscribeSchema }, async (request, reply) => {
      const search = await signedSearch(request.query);
      if (!search) return page(reply, 400, 'This link does not work', BAD_LINK);
      await unsubscribeSavedSearch(pool, search.id);
      return page(reply, 200, 'Unsubscribed', `<p>No more emails for your saved search ${escapeHtml(search.description)}. You can turn them back on under Alerts.</p>`);
    });
  }
};
