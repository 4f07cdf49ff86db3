// The medians computed from MySQL over the newest listings only (a primary-key range, so the
// query stays bounded however large the table grows): the fallback while the warehouse is down,
// behind, or not configured for this process.
import type { Pool, RowDataPacket } from '../../../marketplace/mysql/connection.js';
import { medianKey, type Median, type MedianSource } from './median-source.js';
import { medianOf } from './rules.js';

export class MysqlMedianSource implements MedianSource {
  readonly name = 'mysql';

  constructor(private readonly pool: Pool, private readonly sampleListings: number) {}

  async read(): Promise<Map<string, Median>> {
    const [rows] = await this.pool.query<RowDataPacket[]>(
      `SELECT country, category, price_currency, price_amount FROM listings
       WHERE id > (SELECT COALESCE(MAX(id), 0) FROM listings) - ? AND status IN ('active', 'sold')`, [this.sampleListings],
    );
    const prices = new Map<string, number[]>();
    for (const row of rows) {
      const key = medianKey(String(row.country), String(row.category), String(row.price_currency));
      let list = prices.get(key);
      if (!list) prices.set(key, (list = []));
      list.push(Number(row.price_amount));
    }
    return new Map([...prices].map(([key, list]) => [key, { priceAmount: medianOf(list), samples: list.length }]));
  }
}
