// Query terms as the index sees them, and typo tolerance: a term's allowed edit distance grows
// with its length as in Elasticsearch's `fuzziness: AUTO` (0 up to 2 characters, 1 up to 5,
// then 2), counting a swap of neighbours as one edit (Damerau), so "sceond" finds "second".
import { stemmer } from 'stemmer';

const ASCII = /^[\x00-\x7f]*$/;
const ASCII_SEPARATORS = /[^a-z0-9]+/;

/** Words as SQLite's unicode61 tokenizer splits them (diacritics removed, lower case). */
export function words(text: string): string[] {
  // Plain ASCII has no marks to fold and no letters beyond a-z: the same words, cut faster.
  const list = ASCII.test(text)
    ? text.toLowerCase().split(ASCII_SEPARATORS)
    : text.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase().split(/[^\p{L}\p{N}]+/u);
  // Runs of separators split once, so an empty string can only come first or last.
  if (list[list.length - 1] === '') list.pop();
  if (list[0] === '') list.shift();
  return list;
}

/** Porter stems, as the index's `porter` tokenizer stores them. */
export function stems(text: string): string[] {
  return words(text).map((word) => stemmer(word));
}

export function allowedEdits(term: string): number {
  if (term.length <= 2) return 0;
  if (term.length <= 5) return 1;
  return 2;
}

/** Optimal string alignment distance, giving up early once it exceeds `max`. */
export function editDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  const rows = a.length + 1;
  const cols = b.length + 1;
  let previous2 = new Array<number>(cols).fill(0);
  let previous = Array.from({ length: cols }, (_, j) => j);
  for (let i = 1; i < rows; i++) {
    const current = new Array<number>(cols);
    current[0] = i;
    let rowMin = current[0];
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) value = Math.min(value, previous2[j - 2]! + 1);
      current[j] = value;
      if (value < rowMin) rowMin = value;
    }
    if (rowMin > max) return max + 1;
    previous2 = previous;
    previous = current;
  }
  return previous[cols - 1]!;
}

/**
 * The index's vocabulary (stemmed terms with document counts), kept in memory for typo lookups.
 * Terms are bucketed by length so a lookup only compares plausible candidates.
 */
export class Vocabulary {
  private readonly counts = new Map<string, number>();
  private readonly byLength = new Map<number, Set<string>>();

  has(term: string): boolean {
    return (this.counts.get(term) ?? 0) > 0;
  }

  add(term: string, documents = 1): void {
    const before = this.counts.get(term) ?? 0;
    this.counts.set(term, before + documents);
    if (before === 0) {
      const bucket = this.byLength.get(term.length) ?? new Set();
      bucket.add(term);
      this.byLength.set(term.length, bucket);
    }
  }

  clear(): void {
    this.counts.clear();
    this.byLength.clear();
  }

  /** Terms within the allowed edit distance of `term`, most frequent first. */
  similar(term: string, limit = 8): string[] {
    const max = allowedEdits(term);
    if (max === 0) return [];
    const found: { term: string; distance: number; count: number }[] = [];
    for (let length = term.length - max; length <= term.length + max; length++) {
      for (const candidate of this.byLength.get(length) ?? []) {
        const distance = editDistance(term, candidate, max);
        if (distance <= max && distance > 0) found.push({ term: candidate, distance, count: this.counts.get(candidate) ?? 0 });
      }
    }
    found.sort((a, b) => a.distance - b.distance || b.count - a.count);
    return found.slice(0, limit).map((f) => f.term);
  }
}
