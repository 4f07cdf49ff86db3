// Admin staff accounts and their sessions. Passwords are scrypt hashes; a session token is shown
// once and stored only as its SHA-256, so a database dump holds nothing that logs in.
import { ConflictError } from '../../core/errors.js';
import type { Pool, RowDataPacket } from '../mysql/connection.js';
import { hashPassword, NO_SUCH_ACCOUNT_HASH, verifyPassword } from './password-hash.js';
import { newSecretToken, tokenHash } from './secret-token.js';

export const ADMIN_SESSION_HOURS = 12;
export async function addAdminUser(pool: Pool, username: string, password: string): Promise<number> {
  try {
    const [result] = await pool.query('INSERT INTO admin_users (username, password_hash) VALUES (?, ?)', [username, await hashPassword(password)]);
    return Number((result as { insertId: number }).insertId);
  } catch (error) {
    if ((error as { code?: string }).code === 'ER_DUP_ENTRY') throw new ConflictError(`admin user "${username}" exists already`);
    throw error;
  }
}

/** A new session token, or undefined when the username or password is wrong (no hint which). */
export async function adminLogin(pool: Pool, username: string, password: string): Promise<string | undefined> {
  const [rows] = await pool.query<RowDataPacket[]>('SELECT id, password_hash FROM admin_users WHERE username = ? AND disabled_at IS NULL', [username]);
  const stored = rows[0]?.password_hash as string | undefined ?? NO_SUCH_ACCOUNT_HASH;
  const ok = await verifyPassword(password, stored);
  if (!ok || !rows[0]) return undefined;
  const token = newSecretToken('sla_');
  await pool.query('INSERT INTO admin_sessions (token_hash, admin_user_id, expires_at) VALUES (?, ?, UTC_TIMESTAMP(6) + INTERVAL ? HOUR)', [tokenHash(token), rows[0].id, ADMIN_SESSION_HOURS]);
  return token;
}

/** The admin username a live session token belongs to. */
export async function adminForToken(pool: Pool, token: string): Promise<string | undefined> {
  const [rows] = await pool.query<RowDataPacket[]>(
    `SELECT u.username FROM admin_sessions s JOIN admin_users u ON u.id = s.admin_user_id
     WHERE s.token_hash = ? AND s.expires_at > UTC_TIMESTAMP(6) AND u.disabled_at IS NULL`,
    [tokenHash(token)],
  );
  return rows[0]?.username as string | undefined;
}
