import { describe, expect, it } from 'vitest';
import { bytesBehind, transactionsBehind } from './binlog-lag.js';

const files = [{ name: 'binlog.000001', size: 1000 }, { name: 'binlog.000002', size: 500 }, { name: 'binlog.000003', size: 300 }];

describe('binlog lag', () => {
  it('counts the rest of the reader file and every newer file', () => {
    expect(bytesBehind(files, { file: 'binlog.000003', pos: 300 })).toBe(0);
    expect(bytesBehind(files, { file: 'binlog.000003', pos: 120 })).toBe(180);
    expect(bytesBehind(files, { file: 'binlog.000001', pos: 900 })).toBe(100 + 500 + 300);
  });

  it('knows no byte lag for a file the source no longer has', () => {
    expect(bytesBehind(files, { file: 'binlog.000000', pos: 4 })).toBeUndefined();
  });

  it('counts transactions per GTID domain, including domains the reader never saw', () => {
    expect(transactionsBehind('0-1-45', '0-1-45')).toBe(0);
    expect(transactionsBehind('0-1-45', '0-1-40')).toBe(5);
    // A failover: the sequence continues under another server id.
    expect(transactionsBehind('0-2-50,1-1-7', '0-1-45')).toBe(5 + 7);
    expect(transactionsBehind('0-1-45', '0-1-50')).toBe(0);
  });
});
