// Who is acting: the session check puts the admin's username on the request, and the routes
// take it from there for the audit trail.
import type { FastifyRequest } from 'fastify';
import { unauthorized } from '../errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The logged-in admin's username, set for every route that needs a session. */
    adminUsername: string | undefined;
  }
}

/** The username of the admin behind a request that passed the session check. */
export function adminOf(request: FastifyRequest): string {
  if (!request.adminUsername) throw unauthorized();
  return request.adminUsername;
}
