// The API's error shape: {"error": <code>, "message": <what and why>, "field": <which input>}.
// Validation errors name the field and the reason; nothing leaks a stack trace.
import type { FastifyError, FastifyInstance } from 'fastify';
import { AuthenticationError, ConflictError, ForbiddenError, NotFoundError, PlatformError, RateLimited } from '../core/errors.js';

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
  [RateLimited, 429, 'rate_limited'],
];

function fieldOf(message: string): string | undefined {
  return /^([a-z_]+): /.exec(message)?.[1];
}

interface ValidationItem {
  instancePath: string;
  keyword?: string;
  message?: string;
  params: { missingProperty?: string; additionalProperty?: string; limit?: number; allowedValues?: unknown[]; type?: string | string[]; format?: string };
}

/**
 * What to do about a field whose value has a shape of its own, said the way a form would say it
 * rather than as the schema's pattern (`must match pattern "^[a-z]{3}$"`).
 */
const FIELD_ADVICE: Record<string, string> = {
  category: 'choose a category, e.g. electronics or furniture (lower-case letters, digits, - and _)',
  price_currency: 'choose a currency: a three-letter code such as usd, eur or gbp',
  currency: 'choose a currency: a three-letter code such as usd, eur or gbp',
  country: 'choose a country: two letters such as US, GB or DE',
  email: 'enter an email address such as name@example.com',
  price_amount: 'enter a price of 0 or more, in minor units (cents)',
};

const TYPE_WORDS: Record<string, string> = {
  integer: 'a whole number', number: 'a number', string: 'text', boolean: 'true or false', object: 'an object', array: 'a list',
};

/** One validation failure as "field: reason", with a reason a person can act on. */
export function describeValidation(items: ValidationItem[], context: string | undefined): { field: string; message: string } {
  const first = items[0]!;
  if (first.params.additionalProperty) return { field: first.params.additionalProperty, message: `${first.params.additionalProperty}: unknown ${context === 'querystring' ? 'parameter' : 'field'}` };
  const field = first.params.missingProperty ?? first.instancePath.replace(/^\//, '').replace(/\//g, '.');
  return { field, message: `${field || context || 'request'}: ${reasonOf(first, field)}` };
}

function reasonOf(item: ValidationItem, field: string): string {
  const { limit, allowedValues, type } = item.params;
  const advice = FIELD_ADVICE[field.split('.').at(-1) ?? field];
  switch (item.keyword) {
    case 'required': return advice ?? 'is required';
    case 'pattern':
    case 'format':
      // `pattern: "\S"` is the "not only spaces" rule of free text.
      if (item.message?.includes('"\\S"')) return 'must not be blank';
      return advice ?? (item.keyword === 'format' ? `must be ${formatWords(item.params.format)}` : 'has characters that are not allowed here');
    case 'enum': return `choose one of ${(allowedValues ?? []).map(String).join(', ')}`;
    case 'minLength': return limit === 1 ? advice ?? 'must not be empty' : `must be at least ${limit} characters`;
    case 'maxLength': return `must be at most ${limit} characters`;
    case 'minimum': return advice && limit === 0 ? advice : `must be at least ${limit}`;
    case 'maximum': return `must be at most ${limit}`;
    case 'minItems': return `must have at least ${limit} ${limit === 1 ? 'item' : 'items'}`;
    case 'maxItems': return `must have at most ${limit} items`;
    case 'type': {
      const wanted = (Array.isArray(type) ? type : [type ?? '']).filter((name) => name !== 'null').map((name) => TYPE_WORDS[name] ?? name);
      return `must be ${wanted.join(' or ')}`;
    }
    default: return item.message ?? 'is invalid';
  }
}

function formatWords(format: string | undefined): string {
  switch (format) {
    case 'date-time': return 'a date and time such as 2025-01-31T12:00:00Z';
    case 'uri':
    case 'url': return 'a URL such as https://example.com/hooks';
    case 'email': return 'an email address such as name@example.com';
    default: return `in ${format ?? 'the expected'} format`;
  }
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
