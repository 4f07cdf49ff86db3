import { describe, expect, it } from 'vitest';
import { parseSignal } from './signals.js';

describe('signals', () => {
  it("reads Debezium's execute-snapshot with its additional conditions", () => {
    const signal = parseSignal({
      id: 'ad-hoc-1', type: 'execute-snapshot',
      data: JSON.stringify({ 'data-collections': ['shop.listings', 'users'], type: 'INCREMENTAL', 'additional-conditions': [{ 'data-collection': 'shop.listings', filter: 'id > 100' }] }),
    }, 'shop');
    expect(signal).toEqual({ kind: 'execute-snapshot', id: 'ad-hoc-1', tables: [{ table: 'listings', where: 'id > 100' }, { table: 'users' }] });
  });

  it('refuses, with the reason, what it cannot do rather than guessing', () => {
    const reason = (data: unknown, type = 'execute-snapshot') => {
      const signal = parseSignal({ id: 'x', type, data: typeof data === 'string' ? data : JSON.stringify(data) }, 'shop');
      return signal.kind === 'unknown' ? signal.reason : signal.kind;
    };
    expect(reason({ 'data-collections': ['other.listings'] })).toMatch(/"other.listings" is not a table of shop/);
    expect(reason({ 'data-collections': [] })).toMatch(/name at least one table/);
    expect(reason({ 'data-collections': ['listings'], type: 'blocking' })).toMatch(/only incremental/);
    expect(reason({ 'data-collections': ['listings'], 'additional-conditions': [{ 'data-collection': 'users', filter: 'id > 1' }] })).toMatch(/not among data-collections/);
    expect(reason('{not json')).toMatch(/not JSON/);
    expect(reason({}, 'log')).toMatch(/type "log" is not/);
  });

  it('takes the watermarks and pause, resume and stop', () => {
    expect(parseSignal({ id: 'c1-open', type: 'snapshot-window-open', data: null }, 'shop')).toEqual({ kind: 'snapshot-window-open', id: 'c1-open', chunk: 'c1' });
    expect(parseSignal({ id: 'c1-close', type: 'snapshot-window-close', data: null }, 'shop')).toEqual({ kind: 'snapshot-window-close', id: 'c1-close', chunk: 'c1' });
    expect(parseSignal({ id: 'p', type: 'pause-snapshot', data: '{"type":"incremental"}' }, 'shop')).toEqual({ kind: 'pause-snapshot', id: 'p', tables: [] });
    expect(parseSignal({ id: 's', type: 'stop-snapshot', data: '{"data-collections":["shop.users"]}' }, 'shop')).toEqual({ kind: 'stop-snapshot', id: 's', tables: ['users'] });
  });
});
