// Local commands (`steveslist dlq ...`) reach the admin service of the platform that owns the
// embedded bus with a secret that process wrote into a 0600 file beside the bus: whoever can read
// that file can already open the bus itself once the platform stops. It is accepted only from
// loopback and only on routes that opt in, and the audit trail names the local user.
import { timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';

/** The operating-system user running the local command, for the audit trail (not a credential). */
export const LOCAL_USER_HEADER = 'x-steveslist-local-user';
const LOCAL_USER = /^[A-Za-z0-9._-]{1,64}$/;

export function isLoopback(request: FastifyRequest): boolean {
  const address = request.socket.remoteAddress ?? '';
  return /^(127\.|::ffff:127\.)/.test(address) || address === '::1';
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Who acts, `local:<user>`, when the request carries the local commands' secret from loopback; otherwise undefined. */
export function localCommandActor(request: FastifyRequest, bearer: string, secret: string): string | undefined {
  if (!isLoopback(request) || !sameSecret(bearer, secret)) return undefined;
  const user = request.headers[LOCAL_USER_HEADER];
  return `local:${typeof user === 'string' && LOCAL_USER.test(user) ? user : 'unknown'}`;
}
