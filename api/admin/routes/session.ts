// Staff log-in and log-out. The CLI and curl get a bearer token in the body; the console asks for
// `cookie: true` and gets an HttpOnly session cookie plus the CSRF token its changes must carry.
import type { FastifyPluginAsync } from 'fastify';
import {
  ADMIN_SESSION_HOURS, DEFAULT_LOCKOUT, endSession, listStaffAccounts, staffLogin, type LockoutPolicy, type LoginRefusal,
} from '../../../marketplace/auth/admin-accounts.js';
import { recordAudit } from '../../../marketplace/moderation/audit.js';
import type { Pool } from '../../../marketplace/mysql/connection.js';
import { ApiError, unauthorized } from '../../errors.js';
import { staffOf } from '../admin-of.js';
import { clearSessionCookies, setSessionCookies } from '../staff-cookies.js';

const loginBody = {
  type: 'object',
  required: ['username', 'password'],
  additionalProperties: false,
  properties: {
    username: { type: 'string', minLength: 1, maxLength: 100 },
    password: { type: 'string', minLength: 1, maxLength: 200 },
    totp: { type: 'string', minLength: 1, maxLength: 10, description: "the authenticator app's 6-digit code, for accounts with a second factor" },
    cookie: { type: 'boolean', default: false, description: 'a browser session in an HttpOnly cookie instead of a bearer token' },
  },
} as const;

interface LoginBody {
  username: string;
  password: string;
  totp?: string;
  cookie: boolean;
}

function refused(refusal: LoginRefusal, lockout: LockoutPolicy): ApiError {
  if (refusal === 'totp_required') return new ApiError(401, 'totp_required', 'this account has a second factor: send the 6-digit code from the authenticator app as totp', 'totp');
  if (refusal === 'locked') return new ApiError(401, 'locked', `too many failed log-ins: the account is locked for up to ${lockout.minutes} minutes (an admin can see it in the audit trail)`);
  return unauthorized('wrong username, password or code');
}

export const sessionRoutes: FastifyPluginAsync<{ pool: Pool; lockout?: LockoutPolicy }> = async (app, { pool, lockout = DEFAULT_LOCKOUT }) => {
  app.post<{ Body: LoginBody }>('/admin/session', { schema: { body: loginBody }, config: { public: true } }, async (request, reply) => {
    const { username, password, totp, cookie } = request.body;
    const result = await staffLogin(pool, { username, password, totp, kind: cookie ? 'cookie' : 'bearer', ip: request.ip }, lockout);
    if (!result.ok) throw refused(result.refusal, lockout);
    const { session } = result;
    const expiresInS = ADMIN_SESSION_HOURS * 3600;
    if (!cookie) return { token: session.token, expires_in_s: expiresInS, username: session.username, role: session.role };
    setSessionCookies(request, reply, session.token, session.csrfToken!, expiresInS);
    return { username: session.username, role: session.role, csrf_token: session.csrfToken, expires_in_s: expiresInS };
  });

  app.get('/admin/session', async (request) => {
    const staff = staffOf(request);
    return { username: staff.username, role: staff.role, kind: staff.kind };
  });

  app.delete('/admin/session', async (request, reply) => {
    const staff = staffOf(request);
    if (staff.token) await endSession(pool, staff.token);
    await recordAudit(pool, { admin: staff.username, action: 'admin_user.logout', targetType: 'admin_user', details: { kind: staff.kind } });
    clearSessionCookies(request, reply);
    return { logged_out: true };
  });

  app.get('/admin/accounts', async () => ({ data: await listStaffAccounts(pool) }));
};
