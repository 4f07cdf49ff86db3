import { describe, expect, it } from 'vitest';
import { resultCount } from './result-count.js';

describe('the count of results a search shows', () => {
  it('says the exact number, singular for one', () => {
    expect(resultCount(0)).toBe('0 listings');
    expect(resultCount(1, 'eq')).toBe('1 listing');
    expect(resultCount(2_345, 'eq')).toBe('2,345 listings');
  });

  it('says "at least" as a plus once the engine stopped counting', () => {
    expect(resultCount(10_000, 'gte')).toBe('10,000+ listings');
    expect(resultCount(10_000, 'eq')).toBe('10,000 listings');
  });
});
