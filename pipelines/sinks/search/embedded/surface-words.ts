// The words documents were written with (folded, lower case) and the stem each indexes as: a
// cache that spares re-stemming the same words, and the dictionary that typo correction and
// type-ahead prefixes search. Words stay when their documents go; a lookup checks that the stem
// still has postings.
import { stemmer } from 'stemmer';
import { allowedEdits, editDistance } from '../query-terms.js';

/** New words wait in a small unsorted list; merging them one by one would re-sort a large array. */
const MERGE_AFTER = 4096;

/** Which characters a word has, each as one of 32 bits (characters may share a bit). */
function characterMask(word: string): number {
  let mask = 0;
  for (let i = 0; i < word.length; i++) mask |= 1 << (word.charCodeAt(i) & 31);
  return mask;
}

function bitCount(n: number): number {
  n -= (n >>> 1) & 0x55555555;
  n = (n & 0x33333333) + ((n >>> 2) & 0x33333333);
  return (((n + (n >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

export class SurfaceWords {
  private readonly stems = new Map<string, string>();
  private readonly byLength: string[][] = [];
  /** Per word of byLength, the characters it has as bits: a cheap lower bound on the edit distance. */
  private readonly masksByLength: number[][] = [];
  private sorted: string[] = [];
  private recent: string[] = [];

  get size(): number {
    return this.stems.size;
  }

  /** The stem of a word seen in a document, remembering the word. */
  learn(word: string): string {
    let stem = this.stems.get(word);
    if (stem === undefined) {
      stem = stemmer(word);
      this.stems.set(word, stem);
      this.remember(word);
    }
    return stem;
  }

  /** A word and its stem as a snapshot kept them. */
  restore(word: string, stem: string): void {
    if (this.stems.has(word)) return;
    this.stems.set(word, stem);
    this.remember(word);
  }

  private remember(word: string): void {
    (this.byLength[word.length] ??= []).push(word);
    (this.masksByLength[word.length] ??= []).push(characterMask(word));
    this.recent.push(word);
    if (this.recent.length >= MERGE_AFTER) this.merge();
  }

  entries(): [word: string, stem: string][] {
    return [...this.stems];
  }

  /** The stem of a query word, without remembering it. */
  stemOf(word: string): string {
    return this.stems.get(word) ?? stemmer(word);
  }

  /** Words within the allowed edit distance of `word`, closest first, then by `weight` (larger first). */
  similar(word: string, weight: (stem: string) => number, limit = 8): string[] {
    const max = allowedEdits(word);
    if (max === 0) return [];
    const found: { word: string; distance: number; weight: number }[] = [];
    const mask = characterMask(word);
    for (let length = Math.max(1, word.length - max); length <= word.length + max; length++) {
      const candidates = this.byLength[length] ?? [];
      const masks = this.masksByLength[length] ?? [];
      for (let i = 0; i < candidates.length; i++) {
        // An edit changes at most two of these bits (a swap none): skip words that differ in more.
        if (bitCount(mask ^ masks[i]!) > 2 * max) continue;
        const candidate = candidates[i]!;
        const distance = editDistance(word, candidate, max);
        if (distance > max || distance === 0) continue;
        const w = weight(this.stems.get(candidate)!);
        if (w > 0) found.push({ word: candidate, distance, weight: w });
      }
    }
    found.sort((a, b) => a.distance - b.distance || b.weight - a.weight);
    return found.slice(0, limit).map((f) => f.word);
  }

  /** Stems of words starting with `prefix`, the `limit` heaviest by `weight`. */
  prefixStems(prefix: string, weight: (stem: string) => number, limit = 64): string[] {
    const stems = new Map<string, number>();
    const consider = (word: string) => {
      const stem = this.stems.get(word)!;
      if (stems.has(stem)) return;
      const w = weight(stem);
      if (w > 0) stems.set(stem, w);
    };
    let low = 0;
    let high = this.sorted.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.sorted[mid]! < prefix) low = mid + 1;
      else high = mid;
    }
    for (let i = low; i < this.sorted.length && this.sorted[i]!.startsWith(prefix); i++) consider(this.sorted[i]!);
    for (const word of this.recent) if (word.startsWith(prefix)) consider(word);
    return [...stems].sort((a, b) => b[1] - a[1]).slice(0, limit).map(([stem]) => stem);
  }

  private merge(): void {
    const recent = this.recent.sort();
    const merged = new Array<string>(this.sorted.length + recent.length);
    let i = 0;
    let j = 0;
    let k = 0;
    while (i < this.sorted.length && j < recent.length) merged[k++] = this.sorted[i]! < recent[j]! ? this.sorted[i++]! : recent[j++]!;
    while (i < this.sorted.length) merged[k++] = this.sorted[i++]!;
    while (j < recent.length) merged[k++] = recent[j++]!;
    this.sorted = merged;
    this.recent = [];
  }
}

/** The items, in order, whose costs fit in the budget together; an item that would overflow it is skipped. */
export function withinBudget(items: readonly string[], cost: (item: string) => number, budget: number): string[] {
  const taken: string[] = [];
  let left = budget;
  for (const item of items) {
    const c = cost(item);
    if (c > left) continue;
    left -= c;
    taken.push(item);
  }
  return taken;
}
