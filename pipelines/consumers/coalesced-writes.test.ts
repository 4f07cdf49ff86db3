// Group commit (the alert worker's queueing, the warehouse loader's inserts): batches that arrive
// while a write runs go into the next write together, each caller told only when its own items
// are written, and one bad batch fails alone.
import { describe, expect, it } from 'vitest';
import { CoalescedWrites } from './coalesced-writes.js';

/**
 * Writes that record what each wrote, the first held until `release()` so the batches added
 * meanwhile wait; `fails` refuses a write holding a given item.
 */
function heldFirst<T>(options: { maxItems?: number; weigh?: (item: T) => number; fails?: (item: T) => boolean } = {}) {
  const written: T[][] = [];
  let release!: () => void;
  let first = true;
  const writes = new CoalescedWrites<T>(async (items) => {
    written.push([...items]);
    if (first) {
      first = false;
      await new Promise<void>((resolve) => { release = resolve; });
    }
    if (options.fails && items.some(options.fails)) throw new Error('unlucky');
  }, options.maxItems, options.weigh);
  /** Lets the adds so far reach the queue, then lets the first write end. */
  const releaseFirst = async () => {
    await new Promise((r) => setImmediate(r));
    release();
  };
  return { writes, written, releaseFirst };
}

describe('coalesced writes', () => {
  it('writes the batches that arrived during a write together, in the next one', async () => {
    const { writes, written, releaseFirst } = heldFirst<number>();
    const done: string[] = [];
    const a = writes.add([1, 2]).then(() => done.push('a'));
    const b = writes.add([3]).then(() => done.push('b'));
    const c = writes.add([4, 5]).then(() => done.push('c'));
    await new Promise((r) => setImmediate(r));
    expect(written).toEqual([[1, 2]]);
    expect(done).toEqual([]);
    await releaseFirst();
    await Promise.all([a, b, c]);
    expect(written).toEqual([[1, 2], [3, 4, 5]]);
    expect(done).toEqual(['a', 'b', 'c']);
  });

  it('writes each batch alone when a merged write fails, so only the one at fault fails', async () => {
    const { writes, written, releaseFirst } = heldFirst<number>({ fails: (item) => item === 13 });
    const a = writes.add([1]);
    const good = writes.add([2]);
    const bad = writes.add([13]);
    const after = writes.add([4]);
    await releaseFirst();
    await expect(a).resolves.toBeUndefined();
    await expect(good).resolves.toBeUndefined();
    await expect(bad).rejects.toThrow('unlucky');
    await expect(after).resolves.toBeUndefined();
    expect(written).toEqual([[1], [2, 13, 4], [2], [13], [4]]);
  });

  it('merges no more than its bound, leaving the rest for the write after', async () => {
    const { writes, written, releaseFirst } = heldFirst<number>({ maxItems: 3 });
    const all = [writes.add([1]), writes.add([2, 3]), writes.add([4]), writes.add([5, 6, 7, 8]), writes.add([9])];
    await releaseFirst();
    await Promise.all(all);
    expect(written).toEqual([[1], [2, 3, 4], [5, 6, 7, 8], [9]]);
  });

  it('bounds a merged write by what its items weigh when told how to weigh them', async () => {
    const { writes, written, releaseFirst } = heldFirst<string>({ maxItems: 6, weigh: (item) => item.length });
    const all = [writes.add(['a']), writes.add(['bbb']), writes.add(['cc']), writes.add(['dddd']), writes.add(['eeeeeeeee']), writes.add(['f'])];
    await releaseFirst();
    await Promise.all(all);
    // 3 + 2 fit in 6, 4 would not; 9 alone is more than the bound and still goes whole.
    expect(written).toEqual([['a'], ['bbb', 'cc'], ['dddd'], ['eeeeeeeee'], ['f']]);
  });
});
