// The gazetteer's index in a few flat arrays instead of ~200k objects and maps: one entry per
// (name key, place), sorted by key then country then place, so a city is found by binary search
// and a prefix is one contiguous range. It is saved as one buffer and read back without parsing,
// which makes a process's first lookup take milliseconds instead of seconds of CPU and ~100 MB.
import type { Place } from './gazetteer.js';

/** Bumped whenever the layout below changes, so an older saved index is never misread. */
export const PLACE_INDEX_FORMAT = 3;

/** A place's fields and its names' keys, as the table gives them, in table order. */
export interface IndexedPlace extends Place {
  /** placeKey of the main name: places of one country sharing it are one suggestion. */
  nameKey: string;
  /** Keys of the place's own names (main, ASCII). */
  keys: readonly string[];
  /** Keys of its other names, which rank lower in suggestions. */
  alternateKeys: readonly string[];
}

/** One of several strings joined by a separator no name contains, and the offset of each. */
class StringColumn {
  constructor(readonly text: string, readonly starts: Uint32Array) {}

  static of(values: readonly string[]): StringColumn {
    const starts = new Uint32Array(values.length + 1);
    let at = 0;
    values.forEach((value, i) => {
      starts[i] = at;
      at += value.length + 1;
    });
    starts[values.length] = at;
    return new StringColumn(values.join('\n') + (values.length > 0 ? '\n' : ''), starts);
  }

  get(i: number): string {
    return this.text.slice(this.starts[i]!, this.starts[i + 1]! - 1);
  }

  /** Whether string i starts with `prefix`, without cutting it out. */
  startsWith(i: number, prefix: string): boolean {
    return this.starts[i + 1]! - 1 - this.starts[i]! >= prefix.length && this.text.startsWith(prefix, this.starts[i]!);
  }

  /** Whether string i is `value`, without cutting it out. */
  equals(i: number, value: string): boolean {
    return this.starts[i + 1]! - 1 - this.starts[i]! === value.length && this.text.startsWith(value, this.starts[i]!);
  }
}

interface Columns {
  ids: Int32Array;
  latitudes: Float64Array;
  longitudes: Float64Array;
  populations: Float64Array;
  names: StringColumn;
  countries: StringColumn;
  regions: StringColumn;
  /** Places sharing a country and main name share a number: what a suggestion is told apart by. */
  nameGroups: Uint32Array;
  /** Entries, sorted: key, the place it names, and whether the name is an alternate one (1). */
  keys: StringColumn;
  keyPlace: Uint32Array;
  keyAlternate: Uint8Array;
  /** Place indexes ordered by id, for lookups by id. */
  byId: Uint32Array;
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export class PlaceIndex {
  private constructor(private readonly c: Columns) {}

  get size(): number {
    return this.c.ids.length;
  }

  static build(places: readonly IndexedPlace[]): PlaceIndex {
    const entries: { key: string; at: number; alternate: boolean; country: string }[] = [];
    places.forEach((place, at) => {
      for (const key of place.keys) entries.push({ key, at, alternate: false, country: place.country });
      for (const key of place.alternateKeys) entries.push({ key, at, alternate: true, country: place.country });
    });
    entries.sort((a, b) => compare(a.key, b.key) || compare(a.country, b.country) || a.at - b.at);
    const byId = Uint32Array.from(places.keys()).sort((a, b) => places[a]!.id - places[b]!.id);
    const groups = new Map<string, number>();
    const nameGroups = Uint32Array.from(places, (p) => {
      const group = `${p.country}:${p.nameKey}`;
      let id = groups.get(group);
      if (id === undefined) groups.set(group, id = groups.size);
      return id;
    });
    return new PlaceIndex({
      ids: Int32Array.from(places, (p) => p.id),
      latitudes: Float64Array.from(places, (p) => p.latitude),
      longitudes: Float64Array.from(places, (p) => p.longitude),
      populations: Float64Array.from(places, (p) => p.population),
      names: StringColumn.of(places.map((p) => p.name)),
      countries: StringColumn.of(places.map((p) => p.country)),
      regions: StringColumn.of(places.map((p) => p.region ?? '')),
      nameGroups,
      keys: StringColumn.of(entries.map((e) => e.key)),
      keyPlace: Uint32Array.from(entries, (e) => e.at),
      keyAlternate: Uint8Array.from(entries, (e) => (e.alternate ? 1 : 0)),
      byId,
    });
  }

  place(at: number): Place {
    const region = this.c.regions.get(at);
    return {
      id: this.c.ids[at]!, name: this.c.names.get(at), country: this.c.countries.get(at), region: region === '' ? null : region,
      latitude: this.c.latitudes[at]!, longitude: this.c.longitudes[at]!, population: this.c.populations[at]!,
    };
  }

  population(at: number): number {
    return this.c.populations[at]!;
  }

  nameGroup(at: number): number {
    return this.c.nameGroups[at]!;
  }

  inCountry(at: number, country: string): boolean {
    return this.c.countries.equals(at, country);
  }

  /** The places named `key` in `country`, in table order. */
  named(key: string, country: string): number[] {
    const found: number[] = [];
    for (let i = this.firstKeyAtLeast(key); i < this.c.keyPlace.length && this.c.keys.equals(i, key); i++) {
      const at = this.c.keyPlace[i]!;
      if (this.c.countries.equals(at, country)) found.push(at);
    }
    return found;
  }

  /** Every entry whose key starts with `prefix`: the place, and whether the name is an alternate one. */
  *startingWith(prefix: string): Generator<{ at: number; alternate: boolean }> {
    for (let i = this.firstKeyAtLeast(prefix); i < this.c.keyPlace.length && this.c.keys.startsWith(i, prefix); i++) {
      yield { at: this.c.keyPlace[i]!, alternate: this.c.keyAlternate[i] === 1 };
    }
  }

  byId(id: number): number | undefined {
    const { byId, ids } = this.c;
    let low = 0;
    let high = byId.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (ids[byId[mid]!]! < id) low = mid + 1;
      else high = mid;
    }
    return low < byId.length && ids[byId[low]!] === id ? byId[low] : undefined;
  }

  private firstKeyAtLeast(key: string): number {
    let low = 0;
    let high = this.c.keyPlace.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.c.keys.get(mid) < key) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  /** The index as one buffer: a JSON header of each part's length, then the parts, 8-byte aligned. */
  encode(): Buffer {
    const { c } = this;
    const arrays = { ids: c.ids, latitudes: c.latitudes, longitudes: c.longitudes, populations: c.populations, keyPlace: c.keyPlace, keyAlternate: c.keyAlternate, byId: c.byId, nameGroups: c.nameGroups };
    const strings = { names: c.names, countries: c.countries, regions: c.regions, keys: c.keys };
    const parts: Buffer[] = [];
    const layout: Record<string, [number, number]> = {};
    let offset = 0;
    const add = (name: string, bytes: Buffer) => {
      const padding = (8 - (offset % 8)) % 8;
      if (padding > 0) parts.push(Buffer.alloc(padding));
      offset += padding;
      layout[name] = [offset, bytes.length];
      parts.push(bytes);
      offset += bytes.length;
    };
    for (const [name, array] of Object.entries(arrays)) add(name, Buffer.from(array.buffer, array.byteOffset, array.byteLength));
    for (const [name, column] of Object.entries(strings)) {
      add(`${name}.text`, Buffer.from(column.text, 'utf8'));
      add(`${name}.starts`, Buffer.from(column.starts.buffer, column.starts.byteOffset, column.starts.byteLength));
    }
    const header = Buffer.from(JSON.stringify({ format: PLACE_INDEX_FORMAT, layout }), 'utf8');
    const length = Buffer.alloc(8);
    length.writeUInt32LE(header.length, 0);
    const headerPadding = Buffer.alloc((8 - (header.length % 8)) % 8);
    return Buffer.concat([length, header, headerPadding, ...parts]);
  }

  /** Reads an encoded index back; undefined when it is of another format or cut short. */
  static decode(buffer: Buffer): PlaceIndex | undefined {
    try {
      const headerLength = buffer.readUInt32LE(0);
      const header = JSON.parse(buffer.toString('utf8', 8, 8 + headerLength)) as { format: number; layout: Record<string, [number, number]> };
      if (header.format !== PLACE_INDEX_FORMAT) return undefined;
      const base = 8 + headerLength + ((8 - (headerLength % 8)) % 8);
      const bytes = (name: string): Buffer => {
        const [offset, length] = header.layout[name]!;
        if (base + offset + length > buffer.length) throw new RangeError(`${name} runs past the end`);
        // Copied so the typed arrays are aligned and do not keep the file's buffer alive.
        return Buffer.from(buffer.subarray(base + offset, base + offset + length));
      };
      const typed = <T>(name: string, make: new (buffer: ArrayBuffer, offset: number, length: number) => T, size: number): T => {
        const b = bytes(name);
        return new make(b.buffer as ArrayBuffer, b.byteOffset, b.length / size);
      };
      const column = (name: string) => new StringColumn(bytes(`${name}.text`).toString('utf8'), typed(`${name}.starts`, Uint32Array, 4));
      const index = new PlaceIndex({
        ids: typed('ids', Int32Array, 4), latitudes: typed('latitudes', Float64Array, 8), longitudes: typed('longitudes', Float64Array, 8),
        populations: typed('populations', Float64Array, 8), keyPlace: typed('keyPlace', Uint32Array, 4), keyAlternate: typed('keyAlternate', Uint8Array, 1),
        byId: typed('byId', Uint32Array, 4), nameGroups: typed('nameGroups', Uint32Array, 4),
        names: column('names'), countries: column('countries'), regions: column('regions'), keys: column('keys'),
      });
      return index.consistent() ? index : undefined;
    } catch {
      return undefined;
    }
  }

  /** Every column as long as the places (or entries) it describes: a damaged file fails here. */
  private consistent(): boolean {
    const { c } = this;
    const places = c.ids.length;
    return [c.latitudes, c.longitudes, c.populations, c.byId, c.nameGroups].every((a) => a.length === places)
      && [c.names, c.countries, c.regions].every((s) => s.starts.length === places + 1 && s.starts[places] === s.text.length)
      && c.keys.starts.length === c.keyPlace.length + 1 && c.keys.starts[c.keyPlace.length] === c.keys.text.length && c.keyAlternate.length === c.keyPlace.length;
  }
}
