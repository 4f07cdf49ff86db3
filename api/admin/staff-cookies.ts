// The staff console's browser session: the session token in an HttpOnly cookie no script can
// read, and beside it a readable CSRF token the console sends back in a header on every change.
// A page on another site can make the browser send the cookie but cannot read the CSRF token,
// and the server checks the header against the session's own (double submit, bound to the session).
import { timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { TLSSocket } from 'node:tls';
import { tokenHash } from '../../marketplace/auth/secret-token.js';

export const CSRF_HEADER = 'x-csrf-token';
/** Methods that change nothing need no CSRF token. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function isTls(request: FastifyRequest): boolean {
  return Boolean((request.raw.socket as Partial<TLSSocket>).encrypted);
}

/** Under TLS the cookies are Secure and `__Host-` prefixed (no subdomain or plain-HTTP page can set them). */
function names(request: FastifyRequest): { session: string; csrf: string } {
  return isTls(request) ? { session: '__Host-sl_staff', csrf: '__Host-sl_csrf' } : { session: 'sl_staff', csrf: 'sl_csrf' };
}

export function readCookies(request: FastifyRequest): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0) cookies.set(part.slice(0, at).trim(), part.slice(at + 1).trim());
  }
  return cookies;
}

export function sessionCookie(request: FastifyRequest): string | undefined {
  return readCookies(request).get(names(request).session);
}

function cookie(request: FastifyRequest, name: string, value: string, maxAgeS: number, httpOnly: boolean): string {
  return [`${name}=${value}`, 'Path=/', `Max-Age=${maxAgeS}`, 'SameSite=Strict', httpOnly ? 'HttpOnly' : '', isTls(request) ? 'Secure' : '']
    .filter(Boolean).join('; ');
}

export function setSessionCookies(request: FastifyRequest, reply: FastifyReply, token: string, csrfToken: string, maxAgeS: number): void {
  const { session, csrf } = names(request);
  reply.header('set-cookie', [cookie(request, session, token, maxAgeS, true), cookie(request, csrf, csrfToken, maxAgeS, false)]);
}

export function clearSessionCookies(request: FastifyRequest, reply: FastifyReply): void {
  const { session, csrf } = names(request);
  reply.header('set-cookie', [cookie(request, session, '', 0, true), cookie(request, csrf, '', 0, false)]);
}

/** A change made with the cookie must carry the session's CSRF token in the header. */
export function csrfOk(request: FastifyRequest, csrfHash: string | null): boolean {
  if (SAFE_METHODS.has(request.method)) return true;
  const given = request.headers[CSRF_HEADER];
  if (typeof given !== 'string' || !csrfHash) return false;
  const a = Buffer.from(tokenHash(given));
  const b = Buffer.from(csrfHash);
  return a.length === b.length && timingSafeEqual(a, b);
}
