// The SMS log for support, beside the emails: every SMS with its status, our attempts, Twilio's
// error code and the delivery reports Twilio sent, oldest first.
import type { FastifyPluginAsync } from 'fastify';
import type { Pool } from '../../../marketplace/mysql/connection.js';
import { getSms, listSms, SMS_STATUSES, type SmsStatus } from '../../../pipelines/sinks/sms/sms-log.js';
import { pageQueryProperties, pageRequest, pageResponse, type PageQuery } from '../../public/pagination.js';
import { idParams } from '../schemas.js';

interface SmsQuery extends PageQuery {
  status?: SmsStatus;
  user_id?: number;
  to?: string;
}

const listQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ...pageQueryProperties, status: { type: 'string', enum: [...SMS_STATUSES] }, user_id: { type: 'integer', minimum: 1 },
    to: { type: 'string', pattern: '^\\+[1-9]\\d{7,14}$', description: 'E.164, e.g. +447700900123' },
  },
} as const;

export const smsRoutes: FastifyPluginAsync<{ pool: Pool }> = async (app, { pool }) => {
  app.get<{ Querystring: SmsQuery }>('/admin/sms', { schema: { querystring: listQuery } }, async (request) =>
    pageResponse(await listSms(pool, { status: request.query.status, userId: request.query.user_id, to: request.query.to }, pageRequest(request.query))));

  app.get<{ Params: { id: number } }>('/admin/sms/:id', { schema: { params: idParams } }, async (request) => getSms(pool, request.params.id));
};
