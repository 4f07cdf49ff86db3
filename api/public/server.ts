// The public HTTP server. It only composes route plugins; each plugin owns its schemas, and the
// OpenAPI document is generated from them.
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from '../../core/log.js';
import type { RoleStatus } from '../../core/role-health.js';
import { tokenHash } from '../../marketplace/auth/secret-token.js';
import type { Pool } from '../../marketplace/mysql/connection.js';
import type { PaymentsPort } from '../../marketplace/payments/port.js';
import type { SearchService } from '../../pipelines/sinks/search/port.js';
import { ApiError } from '../errors.js';
import { createHttpServer } from '../http-server.js';
import { credentialOf, installCallerAuth } from './caller.js';
import { accountRoutes } from './routes/accounts.js';
import { apiKeyRoutes } from './routes/api-keys.js';
import { complaintRoutes } from './routes/complaints.js';
import { savedSearchRoutes } from './routes/saved-searches.js';
import { formOptionRoutes } from './routes/form-options.js';
import { healthRoutes } from './routes/health.js';
import { listingRoutes } from './routes/listings.js';
import { messageRoutes } from './routes/messages.js';
import { openApiRoutes } from './routes/openapi.js';
import { orderRoutes } from './routes/orders.js';
import { phoneRoutes, type PhoneRouteOptions } from './routes/phone.js';
import { orderPaymentRoutes, stripeWebhookRoutes } from './routes/payments.js';
import { profileRoutes } from './routes/profiles.js';
import { placeRoutes } from './routes/places.js';
import { searchRoutes } from './routes/search.js';
import { webAppRoutes } from './routes/web-app.js';
import { webhookRoutes } from './routes/webhooks.js';

export { listen } from '../http-server.js';

export interface PublicServerOptions {
  pool: Pool;
  log: Logger;
  search?: SearchService;
  rateLimit?: { perMinute: number; authPerMinute: number };
  /** Webhook endpoints may point at private and loopback addresses (WEBHOOKS_ALLOW_PRIVATE). */
  webhooksAllowPrivate?: boolean;
  /** The roles running beside the server in this process (`up`), reported on /health. */
  roles?: () => RoleStatus[];
  /** Texts verification codes and takes Twilio's status callbacks; without it SMS is off. */
  sms?: PhoneRouteOptions['sms'];
  /** Orders wait for payment through it; without it they are paid when placed. */
  payments?: PaymentsPort;
  /** Proxies whose X-Forwarded-For names the client (TRUSTED_PROXIES). */
  trustedProxies?: string[];
}

export const DEFAULT_RATE_LIMIT = { perMinute: 600, authPerMinute: 30 };

/** Per credential when there is one (hashed: the bucket key is kept in memory), else per IP. */
function rateLimitKey(request: FastifyRequest): string {
  const credential = credentialOf(request);
  return credential ? `credential:${tokenHash(credential.value)}` : `ip:${request.ip}`;
}

export async function buildPublicServer(options: PublicServerOptions): Promise<FastifyInstance> {
  const limits = options.rateLimit ?? DEFAULT_RATE_LIMIT;
  const app = createHttpServer({ log: options.log, server: 'public', trustedProxies: options.trustedProxies });
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'Steveslist API', version: '1.0.0', description: 'The public REST API of the Steveslist marketplace.' },
      components: {
        securitySchemes: {
          apiKey: { type: 'apiKey', in: 'header', name: 'X-Steveslist-API-Key' },
          bearer: { type: 'http', scheme: 'bearer', description: 'a session token (sls_...) or an API key (slk_...)' },
        },
      },
      security: [{ apiKey: [] }, { bearer: [] }],
    },
  });
  await app.register(rateLimit, {
    max: limits.perMinute,
    timeWindow: 60_000,
    keyGenerator: rateLimitKey,
    errorResponseBuilder: (_request, context) => new ApiError(429, 'rate_limited', `too many requests: at most ${context.max} a minute; try again in ${context.after}`),
  });
  installCallerAuth(app, options.pool);
  await app.register(healthRoutes, { pool: options.pool, startedAt: Date.now(), roles: options.roles });
  await app.register(openApiRoutes);
  await app.register(accountRoutes, { pool: options.pool, authRateLimitPerMinute: limits.authPerMinute });
  await app.register(apiKeyRoutes, { pool: options.pool });
  await app.register(listingRoutes, { pool: options.pool });
  await app.register(orderRoutes, { pool: options.pool, payments: options.payments });
  if (options.payments) {
    await app.register(orderPaymentRoutes, { pool: options.pool, payments: options.payments });
    await app.register(stripeWebhookRoutes, { pool: options.pool, payments: options.payments, log: options.log });
  }
  await app.register(messageRoutes, { pool: options.pool });
  await app.register(complaintRoutes, { pool: options.pool });
  await app.register(savedSearchRoutes, { pool: options.pool });
  await app.register(phoneRoutes, { pool: options.pool, sms: options.sms });
  await app.register(formOptionRoutes);
  await app.register(profileRoutes, { pool: options.pool });
  await app.register(webhookRoutes, { pool: options.pool, allowPrivate: options.webhooksAllowPrivate ?? false });
  if (options.search) await app.register(searchRoutes, { search: options.search });
  await app.register(placeRoutes);
  await app.register(webAppRoutes);
  return app;
}
