import { describe, expect, it } from 'vitest';
import { parseSignal } from '../../pipelines/cdc/signals.js';
import { signalFor } from './cdc-signal.js';

describe('steveslist cdc snapshot', () => {
  it("is what `steveslist cdc snapshot` writes, and the command's mistakes are named", () => {
    const written = signalFor(['listings', '--where', 'id BETWEEN 1 AND 10'], 'shop');
    expect(parseSignal({ id: 'a', type: written.type, data: JSON.stringify(written.data) }, 'shop'))
      .toEqual({ kind: 'execute-snapshot', id: 'a', tables: [{ table: 'listings', where: 'id BETWEEN 1 AND 10' }] });
    expect(signalFor(['--pause'], 'shop')).toEqual({ type: 'pause-snapshot', data: { type: 'incremental' } });
    expect(() => signalFor([], 'shop')).toThrow(/name the table/);
    expect(() => signalFor(['a', 'b', '--where', 'id > 1'], 'shop')).toThrow(/one table/);
    expect(() => signalFor(['--pause', '--stop'], 'shop')).toThrow(/choose one/);
    expect(() => signalFor(['list;drop'], 'shop')).toThrow(/expected a table name/);
  });
});
