import { describe, expect, it } from 'vitest';
import { SnapshotWindows } from './snapshot-windows.js';

const execute = (tables: { table: string; where?: string }[]) => ({ kind: 'execute-snapshot' as const, id: 'sig', tables });
const key = (id: number) => JSON.stringify({ id });
const rows = (...ids: number[]) => ids.map((id) => ({ id, name: `row ${id}` }));

/** One chunk through the window: expected, opened, read, then `between` happens, then closed. */
function chunk(windows: SnapshotWindows, id: string, table: string, read: number[], complete: boolean, between: () => void = () => undefined) {
  let closed = false;
  windows.expect(id, table, () => { closed = true; });
  windows.opened(id);
  windows.read(id, rows(...read), read.map(key), read.length ? [read[read.length - 1]] : undefined, complete);
  between();
  const out = windows.closed(id);
  return { out, closed };
}

describe('snapshot windows (DBLog watermarks)', () => {
  it("leaves out of a chunk the rows changed between its watermarks: the stream's change is newer", () => {
    const windows = new SnapshotWindows(undefined);
    windows.signal(execute([{ table: 'items' }]));
    expect(windows.next()).toEqual({ table: 'items' });
    const { out, closed } = chunk(windows, 'c1', 'items', [1, 2, 3], false, () => {
      expect(windows.watching('items')).toBe(true);
      expect(windows.watching('users')).toBe(false);
      windows.changedRow(key(2));
    });
    expect(closed).toBe(true);
    expect(out).toEqual({ table: 'items', rows: rows(1, 3) });
    expect(windows.next()).toEqual({ table: 'items', afterKey: [3] });
    const last = chunk(windows, 'c2', 'items', [4], true);
    expect(last.out?.rows).toEqual(rows(4));
    expect(windows.next()).toBeUndefined();
    expect(windows.progress()).toMatchObject({ current: 1, rows: 3 });
  });

  it('ignores watermarks of a window it does not hold (written before a restart) and changes outside a window', () => {
    const windows = new SnapshotWindows({ id: 'sig', tables: [{ table: 'items' }], current: 0, rows: 0, paused: false, lastKey: [10] });
    windows.opened('old');
    expect(windows.closed('old')).toBeUndefined();
    windows.changedRow(key(11));
    expect(chunk(windows, 'c3', 'items', [11, 12], true).out?.rows).toEqual(rows(11, 12));
  });

  it('pauses, resumes, and stops all or one table; a new request waits for the running one', () => {
    const windows = new SnapshotWindows(undefined);
    windows.signal(execute([{ table: 'a' }, { table: 'b' }]));
    expect(windows.signal(execute([{ table: 'c', where: 'id > 5' }]))).toMatch(/queued/);
    windows.signal({ kind: 'pause-snapshot', id: 'p', tables: [] });
    expect(windows.next()).toBeUndefined();
    windows.signal({ kind: 'resume-snapshot', id: 'r', tables: [] });
    expect(windows.next()).toEqual({ table: 'a' });
    windows.signal({ kind: 'stop-snapshot', id: 's', tables: ['a'] });
    expect(windows.next()).toEqual({ table: 'b' });
    windows.signal({ kind: 'stop-snapshot', id: 's', tables: ['c'] });
    expect(windows.progress()?.tables.map((t) => t.table)).toEqual(['a', 'b']);
    windows.signal({ kind: 'stop-snapshot', id: 's2', tables: [] });
    expect(windows.next()).toBeUndefined();
    expect(windows.progress()).toBeUndefined();
  });

  it('takes a chunk whose window a stop ended as not read', () => {
    const windows = new SnapshotWindows(undefined);
    windows.signal(execute([{ table: 'a' }]));
    let closed = false;
    windows.expect('c1', 'a', () => { closed = true; });
    windows.opened('c1');
    windows.signal({ kind: 'stop-snapshot', id: 's', tables: [] });
    expect(closed).toBe(true);
    windows.read('c1', rows(1), [key(1)], [1], true);
    expect(windows.closed('c1')).toBeUndefined();
  });
});
