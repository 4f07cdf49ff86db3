// The typo trie finds exactly the saved words search's own edit distance accepts, checked against
// a scan of every word over random near-misses (swaps, deletions, insertions, changed letters).
import { describe, expect, it } from 'vitest';
import { Random } from '../../../marketplace/sample-data/random.js';
import { allowedEdits, editDistance } from '../search/query-terms.js';
import { TypoTrie } from './typo-trie.js';

const LETTERS = 'abcdeilmnorstu';

function mutate(rng: Random, word: string): string {
  let out = word;
  for (let edits = rng.int(0, 3); edits > 0; edits--) {
    const at = rng.int(0, Math.max(0, out.length - 1));
    const kind = rng.int(0, 3);
    const letter = LETTERS[rng.int(0, LETTERS.length - 1)]!;
    if (kind === 0) out = out.slice(0, at) + out.slice(at + 1);
    else if (kind === 1) out = out.slice(0, at) + letter + out.slice(at);
    else if (kind === 2) out = out.slice(0, at) + letter + out.slice(at + 1);
    else if (at + 1 < out.length) out = out.slice(0, at) + out[at + 1] + out[at] + out.slice(at + 2);
  }
  return out;
}

describe('typo trie', () => {
  it('finds every saved word within its allowance of a listing word, and no other', () => {
    const rng = new Random(3);
    const saved = [...new Set(Array.from({ length: 400 }, () => Array.from({ length: rng.int(2, 10) }, () => LETTERS[rng.int(0, LETTERS.length - 1)]).join('')))];
    const trie = new TypoTrie();
    for (const word of saved) trie.add(word);
    for (let i = 0; i < 2_000; i++) {
      const word = mutate(rng, rng.pick(saved));
      const expected = saved.filter((term) => term !== word && allowedEdits(term) > 0 && editDistance(term, word, allowedEdits(term)) <= allowedEdits(term));
      expect({ word, found: trie.typosOf(word).sort() }).toEqual({ word, found: expected.sort() });
    }
  });

  it('forgets a deleted word and keeps the words sharing its letters', () => {
    const trie = new TypoTrie();
    for (const word of ['guitar', 'guitars', 'monitor']) trie.add(word);
    trie.delete('guitar');
    expect(trie.typosOf('guitarra').sort()).toEqual(['guitars']);
    expect(trie.typosOf('monetur')).toEqual(['monitor']);
    expect(trie.typosOf('tv')).toEqual([]);
  });
});
