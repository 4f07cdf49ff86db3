// The world-cities gazetteer: what its first use costs (reading and indexing GeoNames' table,
// with the heap it keeps), and lookups and suggestions once loaded.
import { GeonamesGazetteer } from '../marketplace/places/geonames-gazetteer.js';
import { COUNTRIES } from '../marketplace/sample-data/vocabulary.js';
import { measure, type BenchResult } from './table.js';

export async function* gazetteerBenches(): AsyncGenerator<BenchResult> {
  global.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const gazetteer = new GeonamesGazetteer();
  let started = performance.now();
  await gazetteer.load();
  const loadMs = performance.now() - started;
  global.gc?.();
  const heapMb = (process.memoryUsage().heapUsed - heapBefore) / 1e6;
  yield measure('gazetteer load (GeoNames cities-500, first use)', 'places', await gazetteer.size(), loadMs,
    `heap kept ${global.gc ? `${heapMb.toFixed(0)} MB` : 'unknown (run node with --expose-gc)'}`);

  const names = COUNTRIES.flatMap((country) => country.cities.map((city) => [city, country.code] as const));
  const lookups = 200_000;
  started = performance.now();
  for (let i = 0; i < lookups; i++) {
    const [city, country] = names[i % names.length]!;
    await gazetteer.locate(city, country);
  }
  yield measure('gazetteer locate (sample cities, accents folded)', 'lookups', lookups, performance.now() - started);

  const prefixes = ['bo', 'bos', 'münch', 'port', 'san f', 'lo', 'par', 'tor'];
  const suggestions = 5_000;
  started = performance.now();
  for (let i = 0; i < suggestions; i++) await gazetteer.suggest(prefixes[i % prefixes.length]!, { limit: 6 });
  yield measure('gazetteer suggest (2-5 letter prefixes, 6 places)', 'suggestions', suggestions, performance.now() - started);
}
