import { describe, expect, it } from 'vitest';
import { stems } from './query-terms.js';
import { DEFAULT_SYNONYMS, parseSynonyms, querySpellings, stemmedGroups, synonymAlternatives, synonymsByStem, synonymWords } from './synonyms.js';

describe('synonym groups', () => {
  it('reads groups separated by ";" and words by ","', () => {
    expect(parseSynonyms('Couch, sofa ; tv,television;')).toEqual([['couch', 'sofa'], ['tv', 'television']]);
    expect(parseSynonyms('none')).toEqual([]);
  });

  it('says why a malformed text is refused', () => {
    expect(parseSynonyms('couch;tv,television')).toEqual({ error: expect.stringContaining('"couch" has fewer than two words') });
    expect(parseSynonyms('tv,flat screen')).toEqual({ error: expect.stringContaining('"flat screen" is not a single word') });
    expect(parseSynonyms(';;')).toEqual({ error: expect.stringContaining('no groups') });
  });

  it('matches query terms by their stems, so plurals find the group too', () => {
    const groups = stemmedGroups(DEFAULT_SYNONYMS);
    expect(groups).toContainEqual(['tv', stems('television')[0]]);
    expect(synonymAlternatives(stems('couches leather'), groups)).toEqual([['couch', 'sofa', stems('settee')[0]], ['leather']]);
    expect(synonymAlternatives(['canoe'], [['boat', 'canoe'], ['canoe', 'kayak']])).toEqual([['canoe', 'boat', 'kayak']]);
  });

  it('looks up a stem\'s synonyms across every group it is in, by stem', () => {
    const byStem = synonymsByStem([['tv', 'television'], ['couch', 'sofa', 'settee'], ['sofa', 'divan'], ['Bikes', 'bicycle']]);
    expect(byStem.get(stems('televisions')[0]!)).toEqual(['tv']);
    expect(byStem.get('tv')).toEqual([stems('television')[0]]);
    expect(byStem.get('sofa')).toEqual(['couch', stems('settee')[0], 'divan']);
    expect(byStem.get('divan')).toEqual(['sofa']);
    expect(byStem.get('bike')).toEqual([stems('bicycle')[0]]);
    expect(byStem.has('kayak')).toBe(false);
  });

  it('spells the query with each synonym, the typed words first, up to a limit', () => {
    const groups = [['couch', 'sofa'], ['tv', 'televis']];
    expect(querySpellings(['couch', 'and', 'tv'], groups)).toEqual([
      ['couch', 'and', 'tv'], ['sofa', 'and', 'tv'], ['couch', 'and', 'televis'], ['sofa', 'and', 'televis'],
    ]);
    expect(querySpellings(['couch', 'tv'], groups, 3)).toHaveLength(3);
    expect(querySpellings([], groups)).toEqual([]);
  });
});

describe('synonym words for highlighting', () => {
  it('names every word of the groups the query touches, as written', () => {
    expect(synonymWords(stems('televisions'), DEFAULT_SYNONYMS)).toEqual(['tv', 'television']);
    expect(synonymWords(stems('kayak'), DEFAULT_SYNONYMS)).toEqual([]);
  });
});
