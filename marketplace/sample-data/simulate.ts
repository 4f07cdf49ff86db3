// `steveslist simulate`: a steady stream of marketplace activity (signups, new listings, edits,
// purchases, messages, removals) at a target rate, each a real transaction through the domain
// layer, so change capture and every sink see realistic traffic.
import { ConflictError, isRetriable, NotFoundError } from '../../core/errors.js';
import { createProgress, type Progress } from '../../core/progress.js';
import { hashPassword } from '../auth/password-hash.js';
import { createListing, removeListing, updateListing } from '../domain/listings.js';
import { sendMessage } from '../domain/messages.js';
import { placeOrder } from '../domain/orders.js';
import { createUser } from '../domain/users.js';
import type { Pool, RowDataPacket } from '../mysql/connection.js';
import { sampleListing, sampleMessageText, samplePrice, sampleUser } from './generate.js';
import { Random } from './random.js';
import { SAMPLE_PASSWORD } from './seed.js';

export type SimulatedOperation = 'signup' | 'listing' | 'edit' | 'purchase' | 'message' | 'removal';

export const OPERATION_MIX: Readonly<Record<SimulatedOperation, number>> = {
  signup: 10,
  listing: 30,
  edit: 30,
  purchase: 12,
  message: 12,
  removal: 6,
};

export interface SimulateOptions {
  ratePerSecond: number;
  durationMs: number;
  /** Connections writing at once; a slow server lowers the reached rate, not correctness. */
  concurrency?: number;
  seed?: number;
  progress?: (label: string, total: number) => Progress;
  /** Stops early (Ctrl-C); operations in flight finish. */
  signal?: AbortSignal;
  /**
   * Act through every active account and listing in the database, real users' included. By default
   * a run acts only through the accounts it signs up and their listings, so no real user finds
   * simulated listings, orders or messages in theirs.
   */
  existingUsers?: boolean;
}

export interface SimulateResult {
  operations: Record<SimulatedOperation, number>;
  /** Refused by a business rule (listing already sold, removed meanwhile): expected under load. */
  conflicts: number;
  /**
   * Failed for want of the database (connection refused or lost, deadlock): what traffic meets
   * while the server restarts. Such a write did not happen, or happened without the answer
   * arriving; the copies follow MySQL either way.
   */
  unavailable: number;
  errors: number;
  firstErrors: string[];
  elapsedMs: number;
  ratePerSecond: number;
}

interface Picked {
  id: number;
  sellerId: number;
}

interface Account {
  id: number;
  country: string | null;
  city: string | null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function simulate(pool: Pool, options: SimulateOptions): Promise<SimulateResult> {
  const total = Math.max(1, Math.round((options.ratePerSecond * options.durationMs) / 1000));
  const rng = new Random(options.seed ?? 1);
  const passwordHash = await hashPassword(SAMPLE_PASSWORD);
  const progress = (options.progress ?? ((label, n) => createProgress({ label, total: n })))('simulate', total);
  const result: SimulateResult = {
    operations: { signup: 0, listing: 0, edit: 0, purchase: 0, message: 0, removal: 0 },
    conflicts: 0, unavailable: 0, errors: 0, firstErrors: [], elapsedMs: 0, ratePerSecond: 0,
  };
  const startedAt = Date.now();
  let next = 0;
  let done = 0;
  // Signup e-mails carry the run's start time, so runs never collide with each other or with seed.
  const runTag = `sim${startedAt.toString(36)}`;
  let signups = 0;

  // This run's own accounts and their listings still on sale (listings leave when sold or removed).
  const own = { users: [] as Account[], listings: [] as Picked[] };
  const ownPick = <T>(items: T[]) => (items.length > 0 ? rng.pick(items) : undefined);
  const forget = (listingId: number) => {
    const at = own.listings.findIndex((listing) => listing.id === listingId);
    if (at >= 0) own.listings.splice(at, 1);
  };

  const anyUser = async (): Promise<Account | undefined> => {
    const [rows] = await pool.query<RowDataPacket[]>(
      "SELECT id, country, city FROM users WHERE status = 'active' AND id >= (SELECT FLOOR(MIN(id) + ? * (MAX(id) - MIN(id))) FROM users) ORDER BY id LIMIT 1",
      [rng.next()],
    );
    return rows[0] ? { id: Number(rows[0].id), country: rows[0].country, city: rows[0].city } : undefined;
  };
  const anyActiveListing = async (): Promise<Picked | undefined> => {
    const [rows] = await pool.query<RowDataPacket[]>(
      "SELECT id, seller_id FROM listings WHERE status = 'active' AND id >= (SELECT FLOOR(MIN(id) + ? * (MAX(id) - MIN(id))) FROM listings) ORDER BY id LIMIT 1",
      [rng.next()],
    );
    return rows[0] ? { id: Number(rows[0].id), sellerId: Number(rows[0].seller_id) } : undefined;
  };
  const randomUser = options.existingUsers ? anyUser : async () => ownPick(own.users);
  const randomActiveListing = options.existingUsers ? anyActiveListing : async () => ownPick(own.listings);
  const newListing = async (seller: Account) => {
    const { createdAt: _ignored, ...listing } = sampleListing(rng, seller, new Date());
    own.listings.push({ id: await createListing(pool, listing), sellerId: seller.id });
    return 'listing' as const;
  };

  const run = async (operation: SimulatedOperation): Promise<SimulatedOperation> => {
    const user = operation === 'signup' ? undefined : await randomUser();
    if (!user) {
      const signup = sampleUser(rng, `${runTag}${++signups}`, passwordHash, new Date());
      const { id } = await createUser(pool, signup);
      own.users.push({ id, country: signup.country ?? null, city: signup.city ?? null });
      return 'signup';
    }
    if (operation === 'listing') return newListing(user);
    const target = await randomActiveListing();
    if (!target) return newListing(user);
    switch (operation) {
      case 'edit': {
        const [rows] = await pool.query<RowDataPacket[]>('SELECT category, description FROM listings WHERE id = ?', [target.id]);
        if (!rows[0]) throw new NotFoundError(`listing ${target.id} is gone`);
        const patch = rng.chance(0.7)
          ? { price_amount: samplePrice(rng, String(rows[0].category)) }
          : { description: `${String(rows[0].description).slice(0, 1000)} Update: still available.` };
        await updateListing(pool, target.id, patch);
        return 'edit';
      }
      case 'purchase':
        if (target.sellerId === user.id) throw new ConflictError('picked the seller as buyer');
        await placeOrder(pool, target.id, user.id);
        forget(target.id);
        return 'purchase';
      case 'message':
        if (target.sellerId === user.id) throw new ConflictError('picked the seller as sender');
        await sendMessage(pool, { listingId: target.id, senderId: user.id, recipientId: target.sellerId, body: sampleMessageText(rng) });
        return 'message';
      default:
        await removeListing(pool, target.id);
        forget(target.id);
        return 'removal';
    }
  };

  const worker = async () => {
    while (next < total && !options.signal?.aborted) {
      const index = next++;
      const operation = rng.weighted(OPERATION_MIX);
      // Operation i is due at i/rate seconds after the start; a worker that is ahead waits.
      const dueAt = startedAt + (index * 1000) / options.ratePerSecond;
      const wait = dueAt - Date.now();
      if (wait > 0) await sleep(wait);
      try {
        result.operations[await run(operation)]++;
      } catch (error) {
        if (error instanceof ConflictError || error instanceof NotFoundError) {
          result.conflicts++;
        } else if (isRetriable(error)) {
          result.unavailable++;
        } else {
          result.errors++;
          if (result.firstErrors.length < 5) result.firstErrors.push(`${operation}: ${(error as Error).message}`);
        }
      }
      progress.update(++done, `conflicts ${result.conflicts} errors ${result.errors}`);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 8 }, worker));
  progress.finish(`conflicts ${result.conflicts} errors ${result.errors}`);
  result.elapsedMs = Date.now() - startedAt;
  result.ratePerSecond = Math.round((done * 1000) / Math.max(result.elapsedMs, 1));
  return result;
}
