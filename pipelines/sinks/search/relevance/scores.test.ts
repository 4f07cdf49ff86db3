import { describe, expect, it } from 'vitest';
import { meanScore, ndcgAtK, precisionAtK } from './scores.js';

const relevant = new Set([1, 2, 3]);

describe('precision@k', () => {
  it('is the share of the first k results that are relevant', () => {
    expect(precisionAtK([1, 9, 2, 8], relevant, 4)).toBe(0.5);
    expect(precisionAtK([1, 2, 3, 9, 9], relevant, 2)).toBe(1);
  });

  it('counts missing places in a short answer as misses', () => {
    expect(precisionAtK([1], relevant, 10)).toBe(0.1);
    expect(precisionAtK([], relevant, 10)).toBe(0);
  });
});

describe('nDCG@k', () => {
  it('is 1 for the relevant results first, and lower the further down they are', () => {
    expect(ndcgAtK([1, 2, 3, 9], relevant, 10)).toBe(1);
    expect(ndcgAtK([3, 1, 2], relevant, 10)).toBe(1);
    const late = ndcgAtK([9, 9, 1, 2, 3], relevant, 10);
    expect(late).toBeLessThan(1);
    expect(late).toBeGreaterThan(ndcgAtK([9, 9, 9, 9, 1], relevant, 10));
  });

  it('matches the formula on a worked example', () => {
    // Relevant at ranks 2 and 3 of 3 relevant: (1/log2 3 + 1/log2 4) / (1 + 1/log2 3 + 1/log2 4).
    const expected = (1 / Math.log2(3) + 0.5) / (1 + 1 / Math.log2(3) + 0.5);
    expect(ndcgAtK([9, 1, 2], relevant, 10)).toBeCloseTo(expected, 12);
  });

  it('needs only as many relevant results as there are places', () => {
    expect(ndcgAtK([1, 2], relevant, 2)).toBe(1);
    expect(ndcgAtK([9, 1], relevant, 2)).toBeCloseTo((1 / Math.log2(3)) / (1 + 1 / Math.log2(3)), 12);
  });

  it('rewards an empty answer when nothing is relevant, and nothing else', () => {
    expect(ndcgAtK([], new Set(), 10)).toBe(1);
    expect(ndcgAtK([4], new Set(), 10)).toBe(0);
  });
});

describe('mean score', () => {
  it('averages each figure over the queries', () => {
    expect(meanScore([{ precision: 1, ndcg: 0.5 }, { precision: 0, ndcg: 1 }])).toEqual({ precision: 0.5, ndcg: 0.75 });
    expect(meanScore([])).toEqual({ precision: 0, ndcg: 0 });
  });
});
