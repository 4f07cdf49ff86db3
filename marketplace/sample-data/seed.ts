// `steveslist seed`: bulk sample users and listings, written through the same domain inserts as
// the API (so every row has its outbox event), in batched transactions for speed.
import { UsageError } from '../../core/errors.js';
import { createProgress, type Progress } from '../../core/progress.js';
import { hashPassword } from '../auth/password-hash.js';
import { insertListings } from '../domain/listings.js';
import { withTransaction } from '../domain/transaction.js';
import { insertUsers } from '../domain/users.js';
import type { Pool, RowDataPacket } from '../mysql/connection.js';
import { sampleListing, sampleTime, sampleUser } from './generate.js';
import { Random } from './random.js';

/** Every seeded user can log in with this password (documented in the README). */
export const SAMPLE_PASSWORD = 'steveslist-demo';

export interface SeedOptions {
  users: number;
  listings: number;
  /** Same seed, same rows (timestamps are relative to the time of the run). */
  seed?: number;
  batchSize?: number;
  progress?: (label: string, total: number) => Progress;
  now?: Date;
}

export interface SeedResult {
  users: number;
  listings: number;
  elapsedMs: number;
}

const DAY_MS = 86_400_000;

interface Seller {
  id: number;
  country: string | null;
  city: string | null;
  createdAt: Date;
}

export async function seed(pool: Pool, options: SeedOptions): Promise<SeedResult> {
  const startedAt = Date.now();
  const rng = new Random(options.seed ?? 1);
  const batchSize = options.batchSize ?? 1000;
  const now = options.now ?? new Date();
  const progress = options.progress ?? ((label, total) => createProgress({ label, total }));
  // One hash for the whole run: scrypt is deliberately slow, and sample users share a password.
  const passwordHash = await hashPassword(SAMPLE_PASSWORD);

  const [[top]] = await pool.query<RowDataPacket[]>('SELECT COALESCE(MAX(id), 0) AS maxId FROM users');
  const maxId = Number(top!.maxId);
  const usersProgress = progress('seed users', options.users);
  for (let done = 0; done < options.users;) {
    const batch = Array.from({ length: Math.min(batchSize, options.users - done) }, (_, i) =>
      sampleUser(rng, maxId + done + i + 1, passwordHash, sampleTime(rng, new Date(now.getTime() - 400 * DAY_MS), now)));
    await withTransaction(pool, (connection) => insertUsers(connection, batch));
    done += batch.length;
    usersProgress.update(done);
  }
  usersProgress.finish();

  if (options.listings > 0) {
    const sellers = await loadSellers(pool);
    if (sellers.length === 0) throw new UsageError('--listings: there are no active users to sell them; seed some users too (--users N)');
    const listingsProgress = progress('seed listings', options.listings);
    for (let done = 0; done < options.listings;) {
      const batch = Array.from({ length: Math.min(batchSize, options.listings - done) }, () => {
        const seller = rng.pick(sellers);
        return sampleListing(rng, seller, sampleTime(rng, seller.createdAt, now));
      });
      await withTransaction(pool, (connection) => insertListings(connection, batch));
      done += batch.length;
      listingsProgress.update(done);
    }
    listingsProgress.finish();
  }
  return { users: options.users, listings: options.listings, elapsedMs: Date.now() - startedAt };
}

async function loadSellers(pool: Pool): Promise<Seller[]> {
  const [rows] = await pool.query<RowDataPacket[]>("SELECT id, country, city, created_at FROM users WHERE status = 'active' ORDER BY id");
  return rows.map((row) => ({
    id: Number(row.id),
    country: row.country as string | null,
    city: row.city as string | null,
    createdAt: new Date(`${String(row.created_at).replace(' ', 'T')}Z`),
  }));
}
