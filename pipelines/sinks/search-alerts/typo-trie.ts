// The saved words a listing word is a typo of, as search forgives typos (query-terms.ts: up to
// two edits by the saved word's length, a swap of neighbours counting as one). The saved words
// sit in a trie walked once per listing word with one row of the edit-distance table per letter:
// branches more than two edits away are left at once, and nothing is missed, unlike an index of
// deleted letters, which misses pairs two edits apart unless it holds every two-letter deletion.
import { allowedEdits, editDistance } from '../search/query-terms.js';

const MOST_EDITS = 2;

interface Node {
  children: Map<string, Node>;
  /** The saved word ending here, when one does. */
  word?: string;
}

export class TypoTrie {
  private readonly root: Node = { children: new Map() };

  add(word: string): void {
    if (allowedEdits(word) === 0) return;
    let node = this.root;
    for (const letter of word) {
      let next = node.children.get(letter);
      if (!next) node.children.set(letter, (next = { children: new Map() }));
      node = next;
    }
    node.word = word;
  }

  delete(word: string): void {
    const path: [Node, string][] = [];
    let node = this.root;
    for (const letter of word) {
      const next = node.children.get(letter);
      if (!next) return;
      path.push([node, letter]);
      node = next;
    }
    delete node.word;
    // Prune the branch back to the last node still needed.
    for (let i = path.length - 1; i >= 0; i--) {
      const [parent, letter] = path[i]!;
      const child = parent.children.get(letter)!;
      if (child.word !== undefined || child.children.size > 0) break;
      parent.children.delete(letter);
    }
  }

  /** Saved words other than `word` that search would take `word` for (a typo of theirs). */
  typosOf(word: string): string[] {
    const found: string[] = [];
    const first = Array.from({ length: word.length + 1 }, (_, j) => j);
    for (const [letter, child] of this.root.children) this.walk(word, child, letter, '', first, 0, undefined, found);
    return found;
  }

  /**
   * One row of the optimal-string-alignment table per trie letter. A branch is left only when
   * this row and the one before it are both past two edits, since a swap reaches back two rows.
   */
  private walk(
    word: string, node: Node, letter: string, previousLetter: string, above: number[], aboveMin: number, twoAbove: number[] | undefined, found: string[],
  ): void {
    const columns = word.length + 1;
    const row = new Array<number>(columns);
    row[0] = above[0]! + 1;
    let rowMin = row[0];
    for (let j = 1; j < columns; j++) {
      const cost = word[j - 1] === letter ? 0 : 1;
      let value = Math.min(above[j]! + 1, row[j - 1]! + 1, above[j - 1]! + cost);
      if (twoAbove && j > 1 && word[j - 1] === previousLetter && word[j - 2] === letter) value = Math.min(value, twoAbove[j - 2]! + 1);
      row[j] = value;
      if (value < rowMin) rowMin = value;
    }
    if (node.word !== undefined && node.word !== word) {
      const max = allowedEdits(node.word);
      // Confirmed with search's own distance function, so the two agree to the last case.
      if (row[columns - 1]! <= max && editDistance(node.word, word, max) <= max) found.push(node.word);
    }
    if (rowMin > MOST_EDITS && aboveMin >= MOST_EDITS) return;
    for (const [next, child] of node.children) this.walk(word, child, next, letter, row, rowMin, above, found);
  }
}
