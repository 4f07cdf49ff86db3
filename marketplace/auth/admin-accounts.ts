// Admin staff accounts and their sessions. Passwords are scrypt hashes; a session token is shown
// once and stored only as its SHA-256, so a database dump holds nothing that logs in. Every log-in
// attempt lands in the audit trail; repeated failures lock the account for a while.
import { ConflictError } from '../../core/errors.js';
import { recordAudit } from '../moderation/audit.js';
import { apiRow } from '../queries/api-row.js';
import type { Pool, PoolConnection, RowDataPacket } from '../mysql/connection.js';
import { hashPassword, NO_SUCH_ACCOUNT_HASH, verifyPassword } from './password-hash.js';
import { newSecretToken, tokenHash } from './secret-token.js';
import { newTotpSecret, totpStep, totpUri } from './totp.js';

export const ADMIN_SESSION_HOURS = 12;

/** What each role may do is decided per route by the admin service (api/admin/route-roles.ts). */
export const STAFF_ROLES = ['support', 'moderator', 'analyst', 'operator', 'admin'] as const;
export type StaffRole = (typeof STAFF_ROLES)[number];

/** A bearer session is for the CLI and curl; a cookie session is a browser's and needs its CSRF token. */
export type SessionKind = 'bearer' | 'cookie';

export interface LockoutPolicy {
  /** Failed log-ins in a row that lock the account. */
  maxFailures: number;
  minutes: number;
}

export const DEFAULT_LOCKOUT: LockoutPolicy = { maxFailures: 5, minutes: 15 };

export interface NewStaffAccount {
  /** Default `admin`: every right, as accounts had before roles existed. */
  role?: StaffRole;
  /** Give the account a TOTP second factor; its secret comes back once, as an otpauth:// URI. */
  totp?: boolean;
}

export async function addAdminUser(pool: Pool, username: string, password: string, options: NewStaffAccount = {}): Promise<{ id: number; totpUri?: string }> {
  const secret = options.totp ? newTotpSecret() : null;
  try {
    const [result] = await pool.query('INSERT INTO admin_users (username, role, password_hash, totp_secret) VALUES (?, ?, ?, ?)',
      [username, options.role ?? 'admin', await hashPassword(password), secret]);
    return { id: Number((result as { insertId: number }).insertId), ...(secret ? { totpUri: totpUri(secret, username) } : {}) };
  } catch (error) {
    if ((error as { code?: string }).code === 'ER_DUP_ENTRY') throw new ConflictError(`admin user "${username}" exists already`);
    throw error;
  }
}

export interface LoginAttempt {
  username: string;
  password: string;
  /** The authenticator's 6-digit code, for accounts with TOTP. */
  totp?: string;
  kind: SessionKind;
  /** Where the attempt came from, for the audit trail. */
  ip?: string;
}

export interface StaffSession {
  token: string;
  /** Cookie sessions only: sent back in a header on every change. */
  csrfToken?: string;
  username: string;
  role: StaffRole;
}

/**
 * Why a log-in was refused, for the caller to say: `wrong` never says which of username and
 * password was wrong; `totp_required` is only said once the password was right.
 */
export type LoginRefusal = 'wrong' | 'totp_required' | 'locked';

export type LoginResult = { ok: true; session: StaffSession } | { ok: false; refusal: LoginRefusal };

const AUDIT_NAME_MAX = 100;

async function auditLogin(connection: Pool | PoolConnection, username: string, targetId: number | undefined, action: 'admin_user.login' | 'admin_user.login_failed' | 'admin_user.locked', details: Record<string, unknown>) {
  await recordAudit(connection, { admin: username.slice(0, AUDIT_NAME_MAX), action, targetType: 'admin_user', targetId, details });
}

export async function staffLogin(pool: Pool, attempt: LoginAttempt, lockout: LockoutPolicy = DEFAULT_LOCKOUT, nowMs = Date.now()): Promise<LoginResult> {
  const connection = await pool.getConnection();
  try {
    await connection.beginTransaction();
    // Locked for update: two wrong passwords at once must both count towards the lock-out.
    const [rows] = await connection.query<RowDataPacket[]>(
      `SELECT id, role, password_hash, totp_secret, totp_last_step, failed_logins, locked_until > UTC_TIMESTAMP(6) AS locked
       FROM admin_users WHERE username = ? AND disabled_at IS NULL FOR UPDATE`,
      [attempt.username],
    );
    const account = rows[0];
    const details = { ip: attempt.ip, kind: attempt.kind };
    // The hash is checked even for a missing or locked account, so the answer takes as long either way.
    const passwordOk = await verifyPassword(attempt.password, (account?.password_hash as string | undefined) ?? NO_SUCH_ACCOUNT_HASH);
    const refuse = async (refusal: LoginRefusal, why: string, counts: boolean): Promise<LoginResult> => {
      await auditLogin(connection, attempt.username, account ? Number(account.id) : undefined, 'admin_user.login_failed', { ...details, why });
      if (account && counts) {
        const failures = Number(account.failed_logins) + 1;
        if (failures >= lockout.maxFailures) {
          await connection.query('UPDATE admin_users SET failed_logins = 0, locked_until = UTC_TIMESTAMP(6) + INTERVAL ? MINUTE WHERE id = ?', [lockout.minutes, account.id]);
          await auditLogin(connection, attempt.username, Number(account.id), 'admin_user.locked', { ...details, failures, minutes: lockout.minutes });
        } else {
          await connection.query('UPDATE admin_users SET failed_logins = ? WHERE id = ?', [failures, account.id]);
        }
      }
      await connection.commit();
      return { ok: false, refusal };
    };
    if (!account) return await refuse('wrong', 'no such account', false);
    if (Number(account.locked)) return await refuse('locked', 'account locked', false);
    if (!passwordOk) return await refuse('wrong', 'wrong password', true);
    const secret = account.totp_secret as string | null;
    let step: number | undefined;
    if (secret) {
      if (!attempt.totp) return await refuse('totp_required', 'no TOTP code', false);
      step = totpStep(secret, attempt.totp.trim(), nowMs);
      if (step === undefined) return await refuse('wrong', 'wrong TOTP code', true);
      if (account.totp_last_step !== null && step <= Number(account.totp_last_step)) return await refuse('wrong', 'TOTP code used already', true);
    }
    const token = newSecretToken('sla_');
    const csrfToken = attempt.kind === 'cookie' ? newSecretToken('slc_') : undefined;
    await connection.query(
      'INSERT INTO admin_sessions (token_hash, admin_user_id, expires_at, kind, csrf_hash) VALUES (?, ?, UTC_TIMESTAMP(6) + INTERVAL ? HOUR, ?, ?)',
      [tokenHash(token), account.id, ADMIN_SESSION_HOURS, attempt.kind, csrfToken ? tokenHash(csrfToken) : null],
    );
    await connection.query('UPDATE admin_users SET failed_logins = 0, locked_until = NULL, totp_last_step = COALESCE(?, totp_last_step) WHERE id = ?', [step ?? null, account.id]);
    await auditLogin(connection, attempt.username, Number(account.id), 'admin_user.login', { ...details, totp: Boolean(secret) });
    await connection.commit();
    return { ok: true, session: { token, csrfToken, username: attempt.username, role: account.role as StaffRole } };
  } catch (error) {
    await connection.rollback();
    throw error;
  } finally {
    connection.release();
  }
}

/** A new bearer token, or undefined when the log-in is refused (no hint why). */
export async function adminLogin(pool: Pool, username: string, password: string): Promise<string | undefined> {
  const result = await staffLogin(pool, { username, password, kind: 'bearer' });
  return result.ok ? result.session.token : undefined;
}

export interface SessionHolder {
  username: string;
  role: StaffRole;
  kind: SessionKind;
  /** SHA-256 of the CSRF token, for cookie sessions. */
  csrfHash: string | null;
}

/** Who a live session token belongs to. */
export async function staffForToken(pool: Pool, token: string): Promise<SessionHolder | undefined> {
  const [rows] = await pool.query<RowDataPacket[]>(
    `SELECT u.username, u.role, s.kind, s.csrf_hash FROM admin_sessions s JOIN admin_users u ON u.id = s.admin_user_id
     WHERE s.token_hash = ? AND s.expires_at > UTC_TIMESTAMP(6) AND u.disabled_at IS NULL`,
    [tokenHash(token)],
  );
  const row = rows[0];
  return row && { username: row.username as string, role: row.role as StaffRole, kind: row.kind as SessionKind, csrfHash: row.csrf_hash as string | null };
}

/** The admin username a live session token belongs to. */
export async function adminForToken(pool: Pool, token: string): Promise<string | undefined> {
  return (await staffForToken(pool, token))?.username;
}

/** Logging out: the token stops working at once. */
export async function endSession(pool: Pool, token: string): Promise<void> {
  await pool.query('DELETE FROM admin_sessions WHERE token_hash = ?', [tokenHash(token)]);
}

export interface StaffAccountRow {
  id: number;
  username: string;
  role: StaffRole;
  totp: boolean;
  locked_until: string | null;
  disabled_at: string | null;
  created_at: string;
}

export async function listStaffAccounts(pool: Pool): Promise<StaffAccountRow[]> {
  const [rows] = await pool.query<RowDataPacket[]>(
    `SELECT id, username, role, totp_secret IS NOT NULL AS totp, IF(locked_until > UTC_TIMESTAMP(6), locked_until, NULL) AS locked_until, disabled_at, created_at
     FROM admin_users ORDER BY username`,
  );
  return rows.map((row) => ({ ...apiRow<StaffAccountRow>(row), totp: Boolean(Number(row.totp)) }));
}
