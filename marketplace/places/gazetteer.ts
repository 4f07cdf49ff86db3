// The gazetteer port: where a city is, for listings' coordinates and for searching near a city.
// The adapter is geonames-gazetteer.ts (a world-cities list shipped as a package, no network).

/** A populated place of the gazetteer. */
export interface Place {
  /** The gazetteer's stable id (GeoNames id), usable wherever a city name is. */
  id: number;
  /** The place's usual international name (GeoNames' main name: "Munich", "Köln"). */
  name: string;
  /** ISO 3166 alpha-2, upper case. */
  country: string;
  /** First-level division code as the gazetteer has it ("MA", "ENG", "02"); null when none. */
  region: string | null;
  /** Degrees, WGS 84. */
  latitude: number;
  longitude: number;
  population: number;
}

export interface SuggestOptions {
  country?: string;
  /** At most this many places; 10 when absent. */
  limit?: number;
}

export interface Gazetteer {
  /**
   * The place a listing's `city` and `country` name: any of its names in Latin script matches,
   * ignoring case, accents and punctuation ("München", "Munchen", "Munich" are one place), and of
   * several places of that name in the country the most populous wins (Portland, US is Oregon's).
   */
  locate(city: string, country: string): Promise<Place | undefined>;
  byId(id: number): Promise<Place | undefined>;
  /** Places one of whose names starts with `prefix` (2 characters at least), most populous first, one per name and country. */
  suggest(prefix: string, options?: SuggestOptions): Promise<Place[]>;
}

/**
 * The form names are compared in: lower case, accents and other marks dropped, ß as ss, every
 * run of punctuation or spaces one space ("Frankfurt am Main", "frankfurt-am-main" are equal).
 */
export function placeKey(name: string): string {
  const plain = /^[\x20-\x7e]*$/.test(name) ? name : name.normalize('NFD').replace(/\p{M}/gu, '').replace(/ß/g, 'ss');
  return plain.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ').trim();
}
