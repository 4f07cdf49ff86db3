// Marketplace accounts: sign up, log in (session tokens), log out. Passwords go through scrypt
// (password-hash.ts); tokens are random and stored as a SHA-256 only.
import { AuthenticationError, ConflictError, ForbiddenError } from '../../core/errors.js';
import { insertUsers, type CreatedUser } from '../domain/users.js';
import { withTransaction } from '../domain/transaction.js';
import type { Pool, PoolConnection, RowDataPacket } from '../mysql/connection.js';
import { hashPassword, NO_SUCH_ACCOUNT_HASH, verifyPassword } from './password-hash.js';
import { newSecretToken, tokenHash } from './secret-token.js';

export const SESSION_DAYS = 30;
/** Failed log-ins in a row that lock an account's log-in, and for how long. */
export const LOCKOUT_AFTER_FAILURES = 10;
export const LOCKOUT_MINUTES = 15;

export interface SignUp {
  email: string;
  password: string;
  name: string;
  country?: string | null;
  city?: string | null;
}

export interface Session {
  token: string;
  userId: number;
}

async function insertSession(connection: Pool | PoolConnection, userId: number): Promise<string> {
  const token = newSecretToken('sls_');
  await connection.query('INSERT INTO user_sessions (token_hash, user_id, expires_at) VALUES (?, ?, UTC_TIMESTAMP(6) + INTERVAL ? DAY)',
    [tokenHash(token), userId, SESSION_DAYS]);
  return token;
}

/**
 * Creates the account (with `user.signed_up`) and its first session in one transaction, with the
 * client address it came from (the spam checks count sign-ups per address).
 */
export async function signUp(pool: Pool, input: SignUp, options: { clientIp?: string } = {}): Promise<{ user: CreatedUser; token: string }> {
  const passwordHash = await hashPassword(input.password);
  try {
    return await withTransaction(pool, async (connection) => {
      const [user] = await insertUsers(connection, [{ email: input.email, name: input.name, country: input.country, city: input.city, passwordHash }]);
      if (options.clientIp) await connection.query('INSERT INTO signup_addresses (user_id, ip) VALUES (?, ?)', [user!.id, options.clientIp.slice(0, 45)]);
      return { user: user!, token: await insertSession(connection, user!.id) };
    });
  } catch (error) {
    if ((error as { code?: string }).code === 'ER_DUP_ENTRY') throw new ConflictError('email: an account with this email exists already; log in instead');
    throw error;
  }
}

/**
 * A new session for the right email and password. A wrong one says nothing about which part was
 * wrong; ten in a row lock the account's log-in for a while, which caps online guessing.
 */
export async function logIn(pool: Pool, email: string, password: string): Promise<Session> {
  const [rows] = await pool.query<RowDataPacket[]>(
    `SELECT u.id, u.status, c.password_hash, c.failed_attempts, c.locked_until > UTC_TIMESTAMP(6) AS locked
     FROM users u JOIN user_credentials c ON c.user_id = u.id WHERE u.email = ?`, [email]);
  const account = rows[0];
  const ok = await verifyPassword(password, (account?.password_hash as string | undefined) ?? NO_SUCH_ACCOUNT_HASH);
  if (!account) throw new AuthenticationError('wrong email or password');
  const userId = Number(account.id);
  if (Number(account.locked)) throw new AuthenticationError(`too many failed log-ins: this account's log-in is locked for up to ${LOCKOUT_MINUTES} minutes`);
  if (!ok) {
    await recordFailedLogIn(pool, userId);
    throw new AuthenticationError('wrong email or password');
  }
  if (account.status !== 'active') throw new ForbiddenError(`this account is ${String(account.status)}; contact support`);
  // Written only when there is something to reset: every write here is also a change event.
  if (Number(account.failed_attempts) > 0) await pool.query('UPDATE user_credentials SET failed_attempts = 0, locked_until = NULL WHERE user_id = ?', [userId]);
  return { token: await insertSession(pool, userId), userId };
}

async function recordFailedLogIn(pool: Pool, userId: number): Promise<void> {
  await pool.query(
    `UPDATE user_credentials
     SET locked_until = IF(failed_attempts + 1 >= ?, UTC_TIMESTAMP(6) + INTERVAL ? MINUTE, locked_until),
         failed_attempts = IF(failed_attempts + 1 >= ?, 0, failed_attempts + 1)
     WHERE user_id = ?`,
    [LOCKOUT_AFTER_FAILURES, LOCKOUT_MINUTES, LOCKOUT_AFTER_FAILURES, userId]);
}

export async function logOut(pool: Pool, token: string): Promise<void> {
  await pool.query('DELETE FROM user_sessions WHERE token_hash = ?', [tokenHash(token)]);
}

export interface SessionOwner {
  userId: number;
  status: string;
}

/** Who a live session token belongs to. */
export async function userForSession(pool: Pool, token: string): Promise<SessionOwner | undefined> {
  const [rows] = await pool.query<RowDataPacket[]>(
    `SELECT u.id, u.status FROM user_sessions s JOIN users u ON u.id = s.user_id
     WHERE s.token_hash = ? AND s.expires_at > UTC_TIMESTAMP(6)`, [tokenHash(token)]);
  return rows[0] ? { userId: Number(rows[0].id), status: String(rows[0].status) } : undefined;
}
