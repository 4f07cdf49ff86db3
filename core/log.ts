import { pino, type Logger } from 'pino';
import type { LogFormat, LogLevel } from './config/index.js';

export type { Logger } from 'pino';

/**
 * Field names whose values never reach a log line, wherever they appear. Secrets travel under
 * these names through the whole code base, which is what makes redaction by path reliable.
 */
export const REDACTED_PATHS = [
  'password',
  '*.password',
  'passwordHash',
  '*.passwordHash',
  'token',
  '*.token',
  'apiKey',
  '*.apiKey',
  'secret',
  '*.secret',
  // Payment provider credentials (the settings' names) and the secret a buyer's client confirms
  // a payment with, in the provider's spelling and ours.
  'secretKey',
  '*.secretKey',
  'webhookSecret',
  '*.webhookSecret',
  'client_secret',
  '*.client_secret',
  'clientSecret',
  '*.clientSecret',
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-steveslist-api-key"]',
  'res.headers["set-cookie"]',
  // The MySQL driver puts the failed statement on its errors with the values written in: a
  // failed insert of a webhook secret or a password hash would log it.
  'err.sql',
  '*.err.sql',
];

export function createLogger(options: { level: LogLevel; format: LogFormat; name?: string; destination?: NodeJS.WritableStream }): Logger {
  const base = {
    level: options.level,
    name: options.name ?? 'steveslist',
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  };
  if (options.format === 'pretty') {
    return pino({
      ...base,
      transport: {
        target: 'pino-pretty',
        options: { destination: 1, ignore: 'pid,hostname,name', translateTime: 'HH:MM:ss.l' },
      },
    });
  }
  return options.destination ? pino(base, options.destination) : pino(base);
}

/** A logger that drops everything, for library code called without one. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
