// What every HTTP server of the platform shares: fastify with the platform's logger, strict
// validation (unknown fields are refused, not dropped), the error shape, and listening with
// errors that name the setting.
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { EnvironmentError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { portInUse } from '../core/ports.js';
import { installErrorHandler } from './errors.js';

export function createHttpServer(options: { log: Logger; server: string; coerceTypes: boolean; bodyLimit?: number }): FastifyInstance {
  const app = Fastify({
    loggerInstance: options.log.child({ server: options.server }) as FastifyBaseLogger,
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: options.coerceTypes, useDefaults: true, allErrors: false } },
  });
  installErrorHandler(app);
  return app;
}

/** Listens and returns the bound address; a taken port is a one-line error naming the setting. */
export async function listen(app: FastifyInstance, host: string, port: number, setting = 'PORT'): Promise<string> {
  try {
    return await app.listen({ host, port });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw portInUse(host, port, setting);
    if (code === 'EADDRNOTAVAIL') throw new EnvironmentError(`${setting === 'PORT' ? 'HOST' : setting.replace('PORT', 'HOST')}: ${host} is not an address of this machine`);
    if (code === 'EACCES') throw new EnvironmentError(`${setting}: not allowed to listen on ${host}:${port} (ports below 1024 need root)`);
    throw error;
  }
}
