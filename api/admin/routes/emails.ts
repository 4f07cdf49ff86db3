// The email queue for support: every email with its status and the SMTP server's answer, the dead
// ones (the alert staff must see), sending a dead one again, and the local mailbox's messages when
// the platform runs its own mail server.
import type { FastifyPluginAsync } from 'fastify';
import { NotFoundError } from '../../../core/errors.js';
import type { Pool } from '../../../marketplace/mysql/connection.js';
import { deadEmailCount, EMAIL_STATUSES, getEmail, listEmails, retryDeadEmail, type EmailStatus } from '../../../pipelines/sinks/email/email-log.js';
import { listMailbox, readMailboxFile } from '../../../pipelines/sinks/email/mailbox-files.js';
import { pageQueryProperties, pageRequest, pageResponse, type PageQuery } from '../../public/pagination.js';
import { adminOf } from '../admin-of.js';
import { idParams, reasonBody, reasonOf, type ReasonBody } from '../schemas.js';

export interface EmailRouteOptions {
  pool: Pool;
  /** The local mailbox's folder, when the platform runs its own mail server. */
  mailboxDir?: string;
}

interface EmailQuery extends PageQuery {
  status?: EmailStatus;
  to?: string;
}

const listQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { ...pageQueryProperties, status: { type: 'string', enum: [...EMAIL_STATUSES] }, to: { type: 'string', minLength: 3, maxLength: 254 } },
} as const;

export const emailRoutes: FastifyPluginAsync<EmailRouteOptions> = async (app, { pool, mailboxDir }) => {
  app.get<{ Querystring: EmailQuery }>('/admin/emails', { schema: { querystring: listQuery } }, async (request) =>
    pageResponse(await listEmails(pool, { status: request.query.status, to: request.query.to }, pageRequest(request.query))));

  app.get<{ Querystring: PageQuery }>('/admin/emails/dead', {
    schema: { querystring: { type: 'object', additionalProperties: false, properties: pageQueryProperties } },
  }, async (request) => ({
    count: await deadEmailCount(pool),
    ...pageResponse(await listEmails(pool, { status: 'dead' }, pageRequest(request.query))),
  }));

  app.get<{ Params: { id: number } }>('/admin/emails/:id', { schema: { params: idParams } }, async (request) => getEmail(pool, request.params.id));

  app.post<{ Params: { id: number }; Body: ReasonBody }>('/admin/emails/:id/retry', { schema: { params: idParams, body: reasonBody } }, async (request) =>
    retryDeadEmail(pool, adminOf(request), request.params.id, reasonOf(request.body)));

  // Said plainly rather than a bare 404: with SMTP_URL set, mail leaves through the relay and no copy stays here.
  const mailbox = (): string => {
    if (!mailboxDir) throw new NotFoundError('there is no local mailbox: emails go out through SMTP_URL (see the relay for what it delivered)');
    return mailboxDir;
  };
  app.get<{ Querystring: { limit: number } }>('/admin/mailbox', {
    schema: { querystring: { type: 'object', additionalProperties: false, properties: { limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } } } },
  }, async (request) => ({ data: await listMailbox(mailbox(), request.query.limit) }));

  app.get<{ Params: { file: string } }>('/admin/mailbox/:file', {
    schema: { params: { type: 'object', required: ['file'], additionalProperties: false, properties: { file: { type: 'string', maxLength: 100 } } } },
  }, async (request, reply) => reply.type('message/rfc822; charset=utf-8').send(await readMailboxFile(mailbox(), request.params.file)));
};
