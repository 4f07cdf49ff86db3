// API keys: shown once at creation, stored as a SHA-256 with a visible prefix so owners can tell
// them apart, revocable at once.
import { NotFoundError } from '../../core/errors.js';
import type { Pool, ResultSetHeader, RowDataPacket } from '../mysql/connection.js';
import { apiRow } from '../queries/api-row.js';
import { newSecretToken, tokenHash } from './secret-token.js';
import type { SessionOwner } from './user-accounts.js';

export const API_KEY_PREFIX = 'slk_';
/** How much of a key stays visible: the marker and 8 random characters. */
const VISIBLE_CHARS = 12;

export interface ApiKeyInfo {
  id: number;
  name: string;
  prefix: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

export async function createApiKey(pool: Pool, userId: number, name: string): Promise<ApiKeyInfo & { key: string }> {
  const key = newSecretToken(API_KEY_PREFIX);
  const prefix = key.slice(0, VISIBLE_CHARS);
  const [result] = await pool.query<ResultSetHeader>('INSERT INTO api_keys (user_id, name, prefix, key_hash) VALUES (?, ?, ?, ?)',
    [userId, name, prefix, tokenHash(key)]);
  const [[row]] = await pool.query<RowDataPacket[]>('SELECT created_at FROM api_keys WHERE id = ?', [result.insertId]);
  return { id: result.insertId, name, prefix, key, created_at: apiRow<ApiKeyInfo>(row!).created_at, last_used_at: null, revoked_at: null };
}

export async function listApiKeys(pool: Pool, userId: number): Promise<ApiKeyInfo[]> {
  const [rows] = await pool.query<RowDataPacket[]>(
    'SELECT id, name, prefix, created_at, last_used_at, revoked_at FROM api_keys WHERE user_id = ? ORDER BY id DESC', [userId]);
  return rows.map((row) => apiRow<ApiKeyInfo>(row));
}

export async function revokeApiKey(pool: Pool, userId: number, id: number): Promise<void> {
  const [result] = await pool.query<ResultSetHeader>(
    'UPDATE api_keys SET revoked_at = COALESCE(revoked_at, UTC_TIMESTAMP(6)) WHERE id = ? AND user_id = ?', [id, userId]);
  if (result.affectedRows === 0) throw new NotFoundError(`api key ${id} does not exist`);
}

/** Who a live (unrevoked) key belongs to. */
export async function userForApiKey(pool: Pool, key: string): Promise<SessionOwner | undefined> {
  const [rows] = await pool.query<RowDataPacket[]>(
    `SELECT k.id, u.id AS user_id, u.status, k.last_used_at < UTC_TIMESTAMP(6) - INTERVAL 1 MINUTE OR k.last_used_at IS NULL AS stale
     FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.key_hash = ? AND k.revoked_at IS NULL`, [tokenHash(key)]);
  const row = rows[0];
  if (!row) return undefined;
  // At most once a minute: each write is a binlog event, and a busy key would otherwise write one per request.
  if (Number(row.stale)) await pool.query('UPDATE api_keys SET last_used_at = UTC_TIMESTAMP(6) WHERE id = ?', [row.id]);
  return { userId: Number(row.user_id), status: String(row.status) };
}
