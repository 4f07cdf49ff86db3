import { describe, expect, it } from 'vitest';
import { uuidV7 } from './uuid-v7.js';

describe('uuidV7', () => {
  it('is an RFC 9562 version 7 id whose first 48 bits are the time', () => {
    const id = uuidV7(Date.UTC(2026, 11, 7, 12, 0, 0));
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(Date.UTC(2026, 11, 7, 12, 0, 0));
  });

  it('draws fresh random bits for every id, across refills of its random buffer', () => {
    // 10,000 ids in one millisecond: only the random part tells them apart, over ~25 refills.
    const ids = Array.from({ length: 10_000 }, () => uuidV7(1_700_000_000_000));
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(ids.map((id) => id.slice(-12))).size).toBe(ids.length);
  });

  it('sorts by creation time', () => {
    const ids = [3, 1, 2].map((n) => uuidV7(1_700_000_000_000 + n));
    expect([...ids].sort()).toEqual([ids[1], ids[2], ids[0]]);
  });
});
