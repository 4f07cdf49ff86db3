import { describe, expect, it } from 'vitest';
import { binlogStatusStatement } from './snapshot.js';

describe('binlogStatusStatement', () => {
  it('asks MySQL 8.2 and later (8.4 LTS, the compose stack) with the new name, which 8.4 requires', () => {
    expect(binlogStatusStatement('8.4.3')).toBe('SHOW BINARY LOG STATUS');
    expect(binlogStatusStatement('8.2.0')).toBe('SHOW BINARY LOG STATUS');
    expect(binlogStatusStatement('9.1.0-commercial')).toBe('SHOW BINARY LOG STATUS');
  });

  it('keeps the old name for the MySQL versions that only know it', () => {
    expect(binlogStatusStatement('8.0.40')).toBe('SHOW MASTER STATUS');
    expect(binlogStatusStatement('8.1.0')).toBe('SHOW MASTER STATUS');
    expect(binlogStatusStatement('5.7.44-log')).toBe('SHOW MASTER STATUS');
  });
});
