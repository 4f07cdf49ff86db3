// The judged set is sound: every judged item exists in the vocabulary, and every query has
// listings to find in the corpus (else its scores say nothing).
import { describe, expect, it } from 'vitest';
import { CATEGORIES } from '../../../../marketplace/sample-data/vocabulary.js';
import { judgedCorpus } from './judged-corpus.js';
import { JUDGED_QUERIES } from './judged-queries.js';
import { relevantIds } from './relevance-run.js';

const corpus = judgedCorpus();

describe('the judged relevance set', () => {
  it('has about fifty queries of every kind, naming only catalogue items', () => {
    const items = new Set(Object.values(CATEGORIES).flatMap((c) => c.items));
    expect(JUDGED_QUERIES.length).toBeGreaterThanOrEqual(50);
    expect(new Set(JUDGED_QUERIES.map((q) => q.kind))).toEqual(new Set(['word', 'word form', 'typo', 'several words', 'synonym', 'place', 'prefix']));
    for (const query of JUDGED_QUERIES) for (const item of query.items) expect(items, query.q).toContain(item);
  });

  it('is the same corpus every time, each listing tied to the item its title starts with', () => {
    const again = judgedCorpus();
    expect(again.docs.slice(0, 50)).toEqual(corpus.docs.slice(0, 50));
    for (const doc of corpus.docs.slice(0, 200)) expect(doc.name.startsWith(corpus.itemOf.get(doc.id)!)).toBe(true);
  });

  it('gives every query at least three relevant listings', () => {
    for (const query of JUDGED_QUERIES) expect(relevantIds(query, corpus).size, query.q).toBeGreaterThanOrEqual(3);
  });
});
