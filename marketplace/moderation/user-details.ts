// What support sees about a user: the profile, activity counts, recent orders, warnings and open
// complaints about them. Never a password hash or an API key's hash: those columns are not read.
import { NotFoundError } from '../../core/errors.js';
import { withTransaction } from '../domain/transaction.js';
import type { Pool, PoolConnection, RowDataPacket } from '../mysql/connection.js';
import { apiRow } from '../queries/api-row.js';
import { recordAudit } from './audit.js';
import type { ComplaintRecord } from './complaints.js';
import type { Warning } from './warn-user.js';

const RECENT_ORDERS = 10;

export interface UserDetails {
  user: { id: number; email: string; name: string; country: string | null; city: string | null; status: string; created_at: string; updated_at: string };
  login: { password_changed_at: string | null; failed_attempts: number; locked_until: string | null };
  api_keys: { id: number; name: string; prefix: string; created_at: string; last_used_at: string | null; revoked_at: string | null }[];
  counts: {
    listings: { draft: number; active: number; sold: number; removed: number; total: number };
    orders: { as_buyer: number; as_seller: number };
    warnings: number;
    open_complaints: number;
  };
  recent_orders: { id: number; role: 'buyer' | 'seller'; listing_id: number; buyer_id: number; seller_id: number; amount: number; currency: string; status: string; created_at: string }[];
  warnings: Warning[];
  open_complaints: ComplaintRecord[];
}

async function rows(connection: PoolConnection, sql: string, params: unknown[]): Promise<RowDataPacket[]> {
  const [result] = await connection.query<RowDataPacket[]>(sql, params);
  return result;
}

const isoTime = (value: unknown) => (typeof value === 'string' ? `${value.replace(' ', 'T')}Z` : null);

/** Reads one consistent view of the user and records that support looked (personal data was shown). */
export async function userDetails(pool: Pool, admin: string, userId: number): Promise<UserDetails> {
  return withTransaction(pool, async (connection) => {
    // REPEATABLE READ: every query below sees the same snapshot.
    const [user] = await rows(connection, 'SELECT id, email, name, country, city, status, created_at, updated_at FROM users WHERE id = ?', [userId]);
    if (!user) throw new NotFoundError(`user ${userId} does not exist`);
    const [credentials] = await rows(connection, 'SELECT password_changed_at, failed_attempts, locked_until FROM user_credentials WHERE user_id = ?', [userId]);
    const apiKeys = await rows(connection, 'SELECT id, name, prefix, created_at, last_used_at, revoked_at FROM api_keys WHERE user_id = ? ORDER BY id DESC', [userId]);
    const listingCounts = await rows(connection, 'SELECT status, COUNT(*) AS n FROM listings WHERE seller_id = ? GROUP BY status', [userId]);
    const [orderCounts] = await rows(connection,
      'SELECT (SELECT COUNT(*) FROM orders WHERE buyer_id = ?) AS as_buyer, (SELECT COUNT(*) FROM orders WHERE seller_id = ?) AS as_seller', [userId, userId]);
    // Each side uses its own index; the union of the two newest-first lists holds the newest overall.
    const recent = await rows(connection,
      `(SELECT id, 'buyer' AS role, listing_id, buyer_id, seller_id, amount, currency, status, created_at FROM orders WHERE buyer_id = ? ORDER BY created_at DESC, id DESC LIMIT ?)
       UNION ALL
       (SELECT id, 'seller' AS role, listing_id, buyer_id, seller_id, amount, currency, status, created_at FROM orders WHERE seller_id = ? ORDER BY created_at DESC, id DESC LIMIT ?)
       ORDER BY created_at DESC, id DESC LIMIT ?`,
      [userId, RECENT_ORDERS, userId, RECENT_ORDERS, RECENT_ORDERS]);
    const warnings = await rows(connection, 'SELECT id, user_id, reason, complaint_id, issued_by, created_at FROM user_warnings WHERE user_id = ? ORDER BY id DESC', [userId]);
    const complaints = await rows(connection,
      `SELECT id, reporter_id, listing_id, reported_user_id, reason, details, status, created_at, updated_at, resolved_at
       FROM complaints WHERE reported_user_id = ? AND status IN ('open', 'reviewing') ORDER BY id DESC`, [userId]);

    const listings = { draft: 0, active: 0, sold: 0, removed: 0, total: 0 };
    for (const row of listingCounts) {
      listings[row.status as keyof typeof listings] = Number(row.n);
      listings.total += Number(row.n);
    }
    await recordAudit(connection, { admin, action: 'user.view', targetType: 'user', targetId: userId });
    return {
      user: apiRow(user),
      login: {
        password_changed_at: isoTime(credentials?.password_changed_at),
        failed_attempts: Number(credentials?.failed_attempts ?? 0),
        locked_until: isoTime(credentials?.locked_until),
      },
      api_keys: apiKeys.map((row) => apiRow(row)),
      counts: {
        listings,
        orders: { as_buyer: Number(orderCounts!.as_buyer), as_seller: Number(orderCounts!.as_seller) },
        warnings: warnings.length,
        open_complaints: complaints.length,
      },
      recent_orders: recent.map((row) => apiRow(row)),
      warnings: warnings.map((row) => apiRow<Warning>(row)),
      open_complaints: complaints.map((row) => apiRow<ComplaintRecord>(row)),
    };
  });
}
