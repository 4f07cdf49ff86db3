// The listing checks' medians read from the warehouse's mart (marts.ts: listing_price_medians),
// which the warehouse recomputes over every listing on each mart refresh.
import { medianKey, type Median, type MedianSource } from '../pipelines/sinks/listing-checks/median-source.js';
import type { ClickHouseClient } from './client.js';
import { martTable } from './marts.js';

export const PRICE_MEDIANS_MART = 'listing_price_medians';

export class WarehouseMedianSource implements MedianSource {
  readonly name = 'warehouse';

  constructor(private readonly client: ClickHouseClient) {}

  /** Throws when the mart is not there (yet) or the warehouse does not answer; an empty mart answers an empty map. */
  async read(): Promise<Map<string, Median>> {
    const result = await this.client.query({
      query: `SELECT country, category, currency, median_amount, samples FROM ${martTable(PRICE_MEDIANS_MART)}`,
      format: 'JSONEachRow',
    });
    const rows = await result.json<{ country: string; category: string; currency: string; median_amount: number | string; samples: number | string }>();
    return new Map(rows.map((r) => [medianKey(r.country, r.category, r.currency), { priceAmount: Number(r.median_amount), samples: Number(r.samples) }]));
  }
}
