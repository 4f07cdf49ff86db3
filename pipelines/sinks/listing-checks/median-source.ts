// Where the price rule's medians come from: the warehouse's mart, or MySQL when the warehouse
// cannot answer. A source answers with every group's median at once; the caller keeps them.

export interface Median {
  priceAmount: number;
  samples: number;
}

/** The key of a group: country upper case, currency lower case, as both sources and the rule agree. */
export const medianKey = (country: string, category: string, currency: string) => `${country.toUpperCase()}|${category}|${currency.toLowerCase()}`;

export type MedianSourceName = 'warehouse' | 'mysql';

export interface MedianSource {
  readonly name: MedianSourceName;
  /** Every group's median, by medianKey. Throws when the source cannot answer now. */
  read(): Promise<Map<string, Median>>;
}
