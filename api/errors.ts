// The API's error shape: {"error": <code>, "message": <what and why>, "field": <which input>}.
// Validation errors name the field and the reason; nothing leaks a stack trace.
import type { FastifyError, FastifyInstance } from 'fastify';
import { AuthenticationError, ConflictError, ForbiddenError, NotFoundError, PlatformError } from '../core/errors.js';

export class ApiError extends Error {
  constructor(readonly statusCode: number, readonly code: string, message: string, readonly field?: string) {
    super(message);
  }
}

export function unauthorized(message = 'log in first: POST /admin/session, then send Authorization: Bearer <token>'): ApiError {
  return new ApiError(401, 'unauthorized', message);
}

export function badRequest(field: string, reason: string): ApiError {
  return new ApiError(400, 'invalid_request', `${field}: ${reason}`, field);
}

/** Business outcomes the domain reports as typed errors, as the HTTP status each one means. */
const DOMAIN_STATUSES: [new (...args: never[]) => PlatformError, number, string][] = [
  [AuthenticationError, 401, 'unauthorized'],
  [ForbiddenError, 403, 'forbidden'],
  [NotFoundError, 404, 'not_found'],
  [ConflictError, 409, 'conflict'],
];

function fieldOf(message: string): string | undefined {
  return /^([a-z_]+): /.exec(message)?.[1];
}

interface ValidationItem {
  instancePath: string;
  message?: string;
  params: { missingProperty?: string; additionalProperty?: string };
}

function describeValidation(items: ValidationItem[], context: string | undefined): { field: string; message: string } {
  const first = items[0]!;
  if (first.params.additionalProperty) return { field: first.params.additionalProperty, message: `${first.params.additionalProperty}: unknown ${context === 'querystring' ? 'parameter' : 'field'}` };
  const field = first.params.missingProperty ?? first.instancePath.replace(/^\//, '').replace(/\//g, '.');
  return { field, message: `${field || context || 'request'}: ${first.message ?? 'is invalid'}` };
}

export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError & { validation?: ValidationItem[]; validationContext?: string }, request, reply) => {
    if (error.validation) {
      const { field, message } = describeValidation(error.validation, error.validationContext);
      return reply.code(400).send({ error: 'invalid_request', message, field });
    }
    if (error instanceof ApiError) return reply.code(error.statusCode).send({ error: error.code, message: error.message, field: error.field });
    const domain = DOMAIN_STATUSES.find(([type]) => error instanceof type);
    if (domain) return reply.code(domain[1]).send({ error: domain[2], message: error.message, field: fieldOf(error.message) });
    if (error instanceof PlatformError && error.retriable) {
      request.log.warn({ err: error }, 'dependency unavailable');
      return reply.code(503).send({ error: 'unavailable', message: 'a service this request needs is unavailable; try again shortly' });
    }
    if (error.statusCode && error.statusCode < 500) return reply.code(error.statusCode).send({ error: 'invalid_request', message: error.message });
    request.log.error({ err: error }, 'request failed');
    return reply.code(500).send({ error: 'internal', message: 'internal error' });
  });
  // Fastify's own 404 body has a different shape; clients parse one shape for every error.
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ error: 'not_found', message: `${request.method} ${request.url.split('?')[0]}: no such route` }),
  );
}
