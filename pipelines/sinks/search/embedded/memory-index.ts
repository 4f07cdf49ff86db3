// The in-memory half of an embedded index, rebuilt from the document store at open and updated on
// every write: a posting list per stemmed, folded term and the filter and sort fields as typed
// columns indexed by a document ordinal. A document that changes gets a new ordinal (postings
// only grow at the end, so they stay sorted); its old ordinal is dead until a compaction.
import { words } from '../query-terms.js';
import type { IndexedRow } from './document-store.js';
import { Postings } from './postings.js';
import { SurfaceWords } from './surface-words.js';

/** Field weights of the score: a match in the name counts most. */
const FIELD_WEIGHTS = { name: 6, description: 1, category: 2, city: 1.5 } as const;
/** BM25's usual constants: term-frequency saturation and document-length normalisation. */
const K1 = 1.2;
const B = 0.75;

const DEAD = 0;
const INACTIVE = 1;
const ACTIVE = 2;

/** Distinct values of a keyword field (category, city, country) as small integer codes. */
class Codes {
  readonly values: string[] = [];
  /** Active documents per code, for the facets of a query without words or filters. */
  active: number[] = [];
  private readonly byKey = new Map<string, number>();

  /** Values compare without case, as the filters always did; the first spelling seen is shown. */
  code(value: string): number {
    const key = value.toLowerCase();
    let code = this.byKey.get(key);
    if (code === undefined) {
      code = this.values.length;
      this.values.push(value);
      this.active.push(0);
      this.byKey.set(key, code);
    }
    return code;
  }

  find(value: string): number {
    return this.byKey.get(value.toLowerCase()) ?? -1;
  }
}

/** Microseconds since the epoch of a stored timestamp ("2026-03-01T10:00:00.000000Z"), for sorting. */
export function timestampMicros(text: string | null): number {
  if (!text) return 0;
  const match = /^(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d:\d\d)(?:\.(\d+))?/.exec(text);
  if (!match) return (Date.parse(text) || 0) * 1000;
  return Date.parse(`${match[1]}T${match[2]}Z`) * 1000 + Number((match[3] ?? '').padEnd(6, '0').slice(0, 6));
}

/** Everything the memory index holds, as plain arrays: what a snapshot file keeps. */
export interface MemoryImage {
  ordinals: number;
  tokenTotal: number;
  columns: {
    ids: Float64Array; state: Uint8Array; category: Int32Array; city: Int32Array; country: Int32Array; price: Float64Array;
    created: Float64Array; latitude: Float64Array; longitude: Float64Array; tokens: Int32Array;
  };
  codes: { category: string[]; city: string[]; country: string[] };
  terms: { stem: string; docs: Int32Array; impacts: Float32Array }[];
  surface: [word: string, stem: string][];
}

export class MemoryIndex {
  readonly surface = new SurfaceWords();
  readonly terms = new Map<string, Postings>();
  readonly categories = new Codes();
  readonly cities = new Codes();
  readonly countries = new Codes();

  /** Ordinals handed out so far (live and dead). */
  ordinals = 0;
  private capacity = 0;
  ids: Float64Array = new Float64Array(0);
  state: Uint8Array = new Uint8Array(0);
  category: Int32Array = new Int32Array(0);
  city: Int32Array = new Int32Array(0);
  country: Int32Array = new Int32Array(0);
  price: Float64Array = new Float64Array(0);
  created: Float64Array = new Float64Array(0);
  latitude: Float64Array = new Float64Array(0);
  longitude: Float64Array = new Float64Array(0);
  /** Words per document, to take a removed document out of the average length. */
  tokens: Int32Array = new Int32Array(0);
  private readonly byId = new Map<number, number>();
  private liveCount = 0;
  /** Active documents (what a search can find). */
  activeCount = 0;
  /** Bumped when ordinals are renumbered or dropped, so orders cached by ordinal are rebuilt. */
  layout = 0;
  private tokenTotal = 0;
  /**
   * Per word seen in a document, its stem's posting list: indexing a word is then one lookup, not
   * three (word to stem, the document's weight of the stem, stem to list). Putting a document was
   * half of the search thread's time in a burst of new listings. Emptied wherever lists may be dropped.
   */
  private readonly listOfWord = new Map<string, Postings>();
  /** The lists the document being put has words in, in the order first seen. */
  private readonly touched: Postings[] = [];
  /** Documents put so far: marks which document a list's pending weight belongs to. */
  private puts = 0;

  /** Documents held (any status). */
  get size(): number {
    return this.liveCount;
  }

  get dead(): number {
    return this.ordinals - this.liveCount;
  }

  /** Postings of a term that still has some, or undefined. */
  postings(stem: string): Postings | undefined {
    const postings = this.terms.get(stem);
    return postings && postings.length > 0 ? postings : undefined;
  }

  documentFrequency = (stem: string): number => this.terms.get(stem)?.length ?? 0;

  /** Adds or replaces a document. */
  put(row: IndexedRow): void {
    this.remove(row.id);
    if (this.ordinals === this.capacity) this.grow(Math.max(1024, this.capacity * 2));
    const ordinal = this.ordinals++;
    this.byId.set(row.id, ordinal);
    this.liveCount++;
    this.ids[ordinal] = row.id;
    this.state[ordinal] = row.status === 'active' ? ACTIVE : INACTIVE;
    this.category[ordinal] = this.categories.code(row.category ?? '');
    this.city[ordinal] = this.cities.code(row.city ?? '');
    this.country[ordinal] = this.countries.code(row.country ?? '');
    this.price[ordinal] = row.price_amount ?? 0;
    this.created[ordinal] = timestampMicros(row.created_at);
    if (this.state[ordinal] === ACTIVE) this.countActive(ordinal, 1);
    const located = row.latitude !== null && row.longitude !== null;
    this.latitude[ordinal] = located ? row.latitude! : NaN;
    this.longitude[ordinal] = located ? row.longitude! : NaN;

    // BM25 per term with the fields' weights folded into the term frequency; the length norm
    // uses the average length at the time of indexing (it moves little once an index is large).
    // Not the ordinal: ordinals start over after a compaction, and a list may still carry an old one.
    const stamp = ++this.puts;
    let length = 0;
    length += this.count(row.name, FIELD_WEIGHTS.name, stamp);
    length += this.count(row.description, FIELD_WEIGHTS.description, stamp);
    length += this.count(row.category, FIELD_WEIGHTS.category, stamp);
    length += this.count(row.city, FIELD_WEIGHTS.city, stamp);
    this.tokens[ordinal] = length;
    this.tokenTotal += length;
    const average = this.tokenTotal / this.liveCount;
    const norm = K1 * (1 - B + (B * length) / (average || 1));
    for (const postings of this.touched) {
      const tf = postings.pendingWeight;
      postings.push(ordinal, (tf * (K1 + 1)) / (tf + norm));
    }
    this.touched.length = 0;
  }

  /** Adds a field's words to the document's term weights, kept on their posting lists until put() pushes them. */
  private count(text: string | null, weight: number, stamp: number): number {
    if (!text) return 0;
    const list = words(text);
    for (const word of list) {
      let postings = this.listOfWord.get(word);
      if (postings === undefined) {
        const stem = this.surface.learn(word);
        postings = this.terms.get(stem);
        if (!postings) {
          postings = new Postings();
          this.terms.set(stem, postings);
        }
        this.listOfWord.set(word, postings);
      }
      if (postings.pendingFor !== stamp) {
        postings.pendingFor = stamp;
        postings.pendingWeight = 0;
        this.touched.push(postings);
      }
      postings.pendingWeight += weight;
    }
    return list.length;
  }

  remove(id: number): void {
    const ordinal = this.byId.get(id);
    if (ordinal === undefined) return;
    this.byId.delete(id);
    if (this.state[ordinal] === ACTIVE) this.countActive(ordinal, -1);
    this.state[ordinal] = DEAD;
    this.liveCount--;
    this.tokenTotal -= this.tokens[ordinal]!;
  }

  private countActive(ordinal: number, by: number): void {
    this.activeCount += by;
    this.categories.active[this.category[ordinal]!]! += by;
    this.cities.active[this.city[ordinal]!]! += by;
    this.countries.active[this.country[ordinal]!]! += by;
  }

  has(id: number): boolean {
    return this.byId.has(id);
  }

  /**
   * Drops dead ordinals from the columns and every posting list, renumbering the live ones in
   * order. Linear in the postings; run when the dead outnumber the living.
   */
  compact(): void {
    const moved = new Int32Array(this.ordinals).fill(-1);
    let next = 0;
    for (let i = 0; i < this.ordinals; i++) {
      if (this.state[i] === DEAD) continue;
      moved[i] = next;
      if (next !== i) {
        this.ids[next] = this.ids[i]!;
        this.state[next] = this.state[i]!;
        this.category[next] = this.category[i]!;
        this.city[next] = this.city[i]!;
        this.country[next] = this.country[i]!;
        this.price[next] = this.price[i]!;
        this.created[next] = this.created[i]!;
        this.latitude[next] = this.latitude[i]!;
        this.longitude[next] = this.longitude[i]!;
        this.tokens[next] = this.tokens[i]!;
      }
      next++;
    }
    this.state.fill(DEAD, next, this.ordinals);
    this.ordinals = next;
    this.listOfWord.clear();
    for (const [stem, postings] of this.terms) {
      postings.renumber(moved);
      if (postings.length === 0) this.terms.delete(stem);
    }
    for (const [id, ordinal] of this.byId) this.byId.set(id, moved[ordinal]!);
    this.layout++;
  }

  clear(): void {
    this.terms.clear();
    this.listOfWord.clear();
    this.byId.clear();
    this.state.fill(DEAD);
    this.ordinals = 0;
    this.liveCount = 0;
    this.activeCount = 0;
    for (const codes of [this.categories, this.cities, this.countries]) codes.active.fill(0);
    this.tokenTotal = 0;
    this.layout++;
  }

  image(): MemoryImage {
    const n = this.ordinals;
    return {
      ordinals: n,
      tokenTotal: this.tokenTotal,
      columns: {
        ids: this.ids.subarray(0, n), state: this.state.subarray(0, n), category: this.category.subarray(0, n), city: this.city.subarray(0, n),
        country: this.country.subarray(0, n), price: this.price.subarray(0, n), created: this.created.subarray(0, n),
        latitude: this.latitude.subarray(0, n), longitude: this.longitude.subarray(0, n), tokens: this.tokens.subarray(0, n),
      },
      codes: { category: this.categories.values, city: this.cities.values, country: this.countries.values },
      terms: [...this.terms].filter(([, p]) => p.length > 0).map(([stem, p]) => ({ stem, docs: p.docs.subarray(0, p.length), impacts: p.impacts.subarray(0, p.length) })),
      surface: this.surface.entries(),
    };
  }

  /** Replaces the contents with an image (the arrays are taken over, not copied). */
  restore(image: MemoryImage): void {
    this.clear();
    for (const [word, stem] of image.surface) this.surface.restore(word, stem);
    const { columns } = image;
    const codes = [[this.categories, image.codes.category], [this.cities, image.codes.city], [this.countries, image.codes.country]] as const;
    for (const [target, values] of codes) for (const value of values) target.code(value);
    this.ids = columns.ids;
    this.state = columns.state;
    this.category = columns.category;
    this.city = columns.city;
    this.country = columns.country;
    this.price = columns.price;
    this.created = columns.created;
    this.latitude = columns.latitude;
    this.longitude = columns.longitude;
    this.tokens = columns.tokens;
    this.ordinals = image.ordinals;
    this.capacity = image.ordinals;
    this.tokenTotal = image.tokenTotal;
    for (const { stem, docs, impacts } of image.terms) {
      const postings = new Postings();
      postings.docs = docs;
      postings.impacts = impacts;
      postings.length = docs.length;
      this.terms.set(stem, postings);
    }
    for (let d = 0; d < this.ordinals; d++) {
      if (this.state[d] === DEAD) continue;
      this.byId.set(this.ids[d]!, d);
      this.liveCount++;
      if (this.state[d] === ACTIVE) this.countActive(d, 1);
    }
  }

  isActive(ordinal: number): boolean {
    return this.state[ordinal] === ACTIVE;
  }

  private grow(capacity: number): void {
    const grow = <T extends Float64Array | Int32Array | Uint8Array>(array: T, make: (n: number) => T): T => {
      const next = make(capacity);
      next.set(array);
      return next;
    };
    this.ids = grow(this.ids, (n) => new Float64Array(n));
    this.state = grow(this.state, (n) => new Uint8Array(n));
    this.category = grow(this.category, (n) => new Int32Array(n));
    this.city = grow(this.city, (n) => new Int32Array(n));
    this.country = grow(this.country, (n) => new Int32Array(n));
    this.price = grow(this.price, (n) => new Float64Array(n));
    this.created = grow(this.created, (n) => new Float64Array(n));
    this.latitude = grow(this.latitude, (n) => new Float64Array(n));
    this.longitude = grow(this.longitude, (n) => new Float64Array(n));
    this.tokens = grow(this.tokens, (n) => new Int32Array(n));
    this.capacity = capacity;
  }
}

export { ACTIVE };
