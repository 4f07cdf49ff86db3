// The median price per category, country and currency that the price rule compares with, kept in
// memory and refreshed on a timer. From the warehouse's mart when this process has a warehouse
// client (every listing, recomputed by the warehouse); from MySQL over the newest listings when it
// has none, or when the warehouse cannot answer (down, behind, the mart not made yet or still
// empty): the checks must keep working whatever the warehouse's state.
import type { Logger } from '../../../core/log.js';
import type { RoleReporter } from '../../../core/role-health.js';
import type { Pool } from '../../../marketplace/mysql/connection.js';
import { PollLoop } from '../outbound/poll-loop.js';
import { medianKey, type Median, type MedianSource, type MedianSourceName } from './median-source.js';
import { MysqlMedianSource } from './mysql-medians.js';

export type { Median } from './median-source.js';

export interface PriceMediansOptions {
  sampleListings: number;
  refreshMs: number;
  log: Logger;
  health?: RoleReporter;
  /** The warehouse's medians; without it, MySQL's alone. */
  warehouse?: MedianSource;
}

export class PriceMedians {
  private medians = new Map<string, Median>();
  private readonly loop: PollLoop;
  private readonly mysql: MedianSource;
  refreshedAt: Date | undefined;
  /** Where the medians in use came from; undefined before the first refresh. */
  source: MedianSourceName | undefined;

  constructor(pool: Pool, private readonly options: PriceMediansOptions) {
    this.mysql = new MysqlMedianSource(pool, options.sampleListings);
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
    return this.medians.get(medianKey(country, category, currency));
  }

  /** Reads the warehouse's medians, else MySQL's; throws (the last ones stay) only when MySQL fails too. */
  async refresh(): Promise<void> {
    let why: string | undefined;
    if (this.options.warehouse) {
      try {
        const medians = await this.options.warehouse.read();
        // An empty mart while listings exist is a warehouse still loading: MySQL answers better.
        if (medians.size > 0) return this.use('warehouse', medians);
        why = 'the warehouse has no medians yet';
      } catch (error) {
        why = `the warehouse did not answer: ${(error as Error).message}`;
      }
    }
    this.use('mysql', await this.mysql.read(), why);
  }

  private use(source: MedianSourceName, medians: Map<string, Median>, why?: string): void {
    this.medians = medians;
    this.refreshedAt = new Date();
    // One line when the source changes, not one per refresh.
    if (source === this.source) return;
    const line = { source, groups: medians.size, ...(why && { reason: why.slice(0, 300) }) };
    if (why && this.source === 'warehouse') this.options.log.warn(line, 'price medians now from MySQL, the newest listings only, until the warehouse answers again');
    else this.options.log.info(line, `price medians from ${source === 'warehouse' ? 'the warehouse' : 'MySQL'}`);
    this.source = source;
    // Shown with the role's status (/health, /admin/pipeline): a fallback is no failure, but worth seeing.
    this.options.health?.noted?.(source === 'warehouse' ? 'medians from the warehouse'
      : `medians from MySQL's newest ${this.options.sampleListings} listings${why ? `: ${why.slice(0, 200)}` : ''}`);
  }
}
