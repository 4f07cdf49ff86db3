// Who is acting: the session check puts the staff member's username, role and session on the
// request, and the routes take them from there for the audit trail.
import type { FastifyRequest } from 'fastify';
import type { SessionKind, StaffRole } from '../../marketplace/auth/admin-accounts.js';
import { unauthorized } from '../errors.js';

export interface StaffOnRequest {
  role: StaffRole;
  kind: SessionKind | 'local';
  /** The session's token, to end it on log-out; absent for local commands. */
  token?: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The logged-in admin's username, set for every route that needs a session. */
    adminUsername: string | undefined;
    staff: StaffOnRequest | undefined;
  }
}

/** The username of the admin behind a request that passed the session check. */
export function adminOf(request: FastifyRequest): string {
  if (!request.adminUsername) throw unauthorized();
  return request.adminUsername;
}

export function staffOf(request: FastifyRequest): StaffOnRequest & { username: string } {
  if (!request.adminUsername || !request.staff) throw unauthorized();
  return { username: request.adminUsername, ...request.staff };
}
