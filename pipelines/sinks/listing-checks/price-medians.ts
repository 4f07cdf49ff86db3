// The median price per category, country and currency that the price rule compares with. Computed
// from MySQL, over the newest listings only (a primary-key range, so the query stays bounded
// however large the table grows), and refreshed on a timer. Not from the warehouse: the checks
// must keep working while the warehouse role is down or behind, and on one machine the served
// warehouse is reachable only where its owner runs.
import type { Logger } from '../../../core/log.js';
import type { RoleReporter } from '../../../core/role-health.js';
import type { Pool, RowDataPacket } from '../../../marketplace/mysql/connection.js';
import { PollLoop } from '../outbound/poll-loop.js';
import { medianOf } from './rules.js';

export interface Median {
  priceAmount: number;
  samples: number;
}

const keyOf = (country: string, category: string, currency: string) => `${country.toUpperCase()}|${category}|${currency.toLowerCase()}`;

export class PriceMedians {
  private medians = new Map<string, Median>();
  private readonly loop: PollLoop;
  refreshedAt: Date | undefined;

  constructor(private readonly pool: Pool, private readonly options: { sampleListings: number; refreshMs: number; log: Logger; health?: RoleReporter }) {
    this.loop = new PollLoop(async () => {
      // The loop's first run comes at once, right after start()'s own refresh.
      if (this.refreshedAt && Date.now() - this.refreshedAt.getTime() < options.refreshMs / 2) return;
      await this.refresh();
    }, options.refreshMs, (error) => options.log.error({ err: error }, 'refreshing the price medians failed; the last ones stay in use'), options.health);
  }

  /** Computes them once, then keeps them fresh until stop(). */
  async start(): Promise<void> {
    await this.refresh();
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  get(country: string, category: string, currency: string): Median | undefined {
    return this.medians.get(keyOf(country, category, currency));
  }

  async refresh(): Promise<void> {
    const [rows] = await this.pool.query<RowDataPacket[]>(
      `SELECT country, category, price_currency, price_amount FROM listings
       WHERE id > (SELECT COALESCE(MAX(id), 0) FROM listings) - ? AND status IN ('active', 'sold')`, [this.options.sampleListings],
    );
    const prices = new Map<string, number[]>();
    for (const row of rows) {
      const key = keyOf(String(row.country), String(row.category), String(row.price_currency));
      let list = prices.get(key);
      if (!list) prices.set(key, (list = []));
      list.push(Number(row.price_amount));
    }
    this.medians = new Map([...prices].map(([key, list]) => [key, { priceAmount: medianOf(list), samples: list.length }]));
    this.refreshedAt = new Date();
  }
}
