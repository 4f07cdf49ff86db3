// What every HTTP server of the platform shares: fastify with the platform's logger, strict
// validation (unknown fields are refused, not dropped), the error shape, and listening with
// errors that name the setting.
import type { ServerOptions as HttpsServerOptions } from 'node:https';
import { Ajv, type Options as AjvOptions, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { EnvironmentError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { portInUse } from '../core/ports.js';
import { installErrorHandler } from './errors.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

function validator(coerceTypes: boolean): Ajv {
  const options: AjvOptions = { removeAdditional: false, useDefaults: true, allErrors: false, coerceTypes, strict: false };
  return addFormats(new Ajv(options));
}

/** Validators made but not compiled yet, across the process's servers (see compileValidators). */
const uncompiled = new Set<() => unknown>();

/**
 * A route's validator, compiled at its first use: the servers' schemas took ~180 ms of every
 * start to compile before the first request could be served. Fastify reads `schemaEnv` before
 * each call (to let Ajv coerce the root value), which compiles it in time.
 */
function compiledOnFirstUse(ajv: Ajv, schema: object): ValidateFunction {
  let compiled: ValidateFunction | undefined;
  const compile = () => {
    if (!compiled) {
      compiled = ajv.compile(schema);
      uncompiled.delete(compile);
    }
    return compiled;
  };
  uncompiled.add(compile);
  const validate = ((data: unknown, context?: unknown) => {
    const run = compile();
    const valid = run(data, context as never);
    validate.errors = run.errors;
    return valid;
  }) as ValidateFunction;
  Object.defineProperty(validate, 'schemaEnv', { get: () => compile().schemaEnv });
  return validate;
}

/**
 * Compiles the validators no request has needed yet, a few at a time between other work: after
 * the start, so a schema Ajv refuses still shows within seconds, not at a route's first request.
 */
export async function compileValidators(): Promise<number> {
  let count = 0;
  let failed: unknown;
  for (const [i, compile] of [...uncompiled].entries()) {
    try {
      compile();
      count++;
    } catch (error) {
      failed ??= error;
    }
    if (i % 10 === 9) await new Promise((resolve) => setImmediate(resolve));
  }
  if (failed) throw failed;
  return count;
}

export function createHttpServer(options: { log: Logger; server: string; bodyLimit?: number; https?: HttpsServerOptions; trustedProxies?: string[] }): FastifyInstance {
  const common = {
    // request.ip is the client's only when the peer is a proxy we were told to trust.
    trustProxy: options.trustedProxies && options.trustedProxies.length > 0 ? options.trustedProxies : false,
    loggerInstance: options.log.child({ server: options.server }) as FastifyBaseLogger,
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
  };
  // Routes and hooks do not care which transport carries them; the type only differs in the raw server.
  const app = options.https ? Fastify({ ...common, https: options.https }) as unknown as FastifyInstance : Fastify(common);
  // Query strings, path parameters and headers are text, so their numbers are coerced; a JSON
  // body has real types, and `"price_amount": "12"` there is a client bug to report, not guess at.
  const coercing = validator(true);
  const strict = validator(false);
  app.setValidatorCompiler(({ schema, httpPart }) => compiledOnFirstUse(httpPart === 'body' ? strict : coercing, schema));
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
