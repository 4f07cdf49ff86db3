import { describe, expect, it } from 'vitest';
import { highestGtidSequence } from './snapshot-version.js';

describe('the version of a snapshot on MySQL with GTIDs', () => {
  it('takes the highest sequence number of any interval of any server, tags and newlines aside', () => {
    expect(highestGtidSequence('3e11fa47-71ca-11e1-9e33-c80aa9429562:1-57:60-61')).toBe(61n);
    expect(highestGtidSequence('3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5,\n4e11fa47-71ca-11e1-9e33-c80aa9429563:1-900')).toBe(900n);
    expect(highestGtidSequence('3e11fa47-71ca-11e1-9e33-c80aa9429562:blue:1-7:9')).toBe(9n);
    expect(highestGtidSequence('')).toBe(0n);
  });
});
