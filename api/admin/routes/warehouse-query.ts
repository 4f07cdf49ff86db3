import type { FastifyPluginAsync } from 'fastify';
import { analystQuery, AnalystQueryError, type AnalystFormat } from '../../../warehouse/analyst-query.js';
import type { ClickHouseClient } from '../../../warehouse/client.js';
import { listAudit, recordAudit } from '../../../marketplace/moderation/audit.js';
import type { Pool } from '../../../marketplace/mysql/connection.js';
import { ApiError } from '../../errors.js';
import { pageQueryProperties, pageRequest, pageResponse, type PageQuery } from '../../public/pagination.js';
import { adminOf } from '../admin-of.js';

const FORMATS: Record<string, { format: AnalystFormat; contentType: string }> = {
  JSONEachRow: { format: 'json', contentType: 'application/x-ndjson' },
  CSV: { format: 'csv', contentType: 'text/csv; charset=utf-8' },
  Arrow: { format: 'arrow', contentType: 'application/vnd.apache.arrow.stream' },
};

const schema = {
  body: {
    type: 'object',
    required: ['sql'],
    additionalProperties: false,
    properties: {
      sql: { type: 'string', minLength: 1, maxLength: 100_000 },
      format: { type: 'string', enum: Object.keys(FORMATS), default: 'JSONEachRow' },
      max_rows: { type: 'integer', minimum: 1, maximum: 10_000_000, default: 100_000 },
      timeout_s: { type: 'integer', minimum: 1, maximum: 600, default: 30 },
    },
  },
};

/**
 * POST /warehouse/query: read-only analyst SQL, answered as JSONEachRow, CSV or Arrow IPC. Each
 * query is audited (who asked what of the warehouse), which is also the workbench's history:
 * GET /admin/queries lists the caller's own, newest first.
 */
export const warehouseQueryRoutes: FastifyPluginAsync<{ warehouse: ClickHouseClient; pool?: Pool }> = async (app, options) => {
  app.post<{ Body: { sql: string; format: string; max_rows: number; timeout_s: number } }>('/warehouse/query', { schema }, async (request, reply) => {
    const { format, contentType } = FORMATS[request.body.format]!;
    if (options.pool) {
      await recordAudit(options.pool, {
        admin: adminOf(request), action: 'warehouse.query', targetType: 'warehouse', details: { sql: request.body.sql, format: request.body.format, max_rows: request.body.max_rows },
      });
    }
    try {
      const output = await analystQuery(options.warehouse, request.body.sql, { format, maxRows: request.body.max_rows, timeoutSeconds: request.body.timeout_s });
      return reply.type(contentType).send(output);
    } catch (error) {
      if (error instanceof AnalystQueryError) throw new ApiError(400, 'query_failed', error.message, 'sql');
      throw error;
    }
  });
};

/** GET /admin/queries: the caller's own workbench queries, newest first. */
export const queryHistoryRoutes: FastifyPluginAsync<{ pool: Pool }> = async (app, { pool }) => {
  app.get<{ Querystring: PageQuery }>('/admin/queries', {
    schema: { querystring: { type: 'object', additionalProperties: false, properties: pageQueryProperties } },
  }, async (request) => {
    const page = await listAudit(pool, { admin: adminOf(request), action: 'warehouse.query' }, pageRequest(request.query));
    return pageResponse({ items: page.items.map((entry) => ({ id: entry.id, at: entry.created_at, ...entry.details })), nextBeforeId: page.nextBeforeId });
  });
};
