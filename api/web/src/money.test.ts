import { describe, expect, it } from 'vitest';
import { formatPrice, toMajorText, toMinorUnits } from './money.js';

describe('prices', () => {
  it('turns typed major units into integer minor units without float rounding', () => {
    expect(toMinorUnits('12.5', 'usd')).toEqual({ ok: true, amountMinor: 1250 });
    expect(toMinorUnits('0.29', 'usd')).toEqual({ ok: true, amountMinor: 29 });
    expect(toMinorUnits(' 7,05 ', 'eur')).toEqual({ ok: true, amountMinor: 705 });
    expect(toMinorUnits('1500', 'jpy')).toEqual({ ok: true, amountMinor: 1500 });
    expect(toMinorUnits('1.234', 'kwd')).toEqual({ ok: true, amountMinor: 1234 });
  });

  it('refuses what it cannot read exactly, saying why', () => {
    expect(toMinorUnits('12.345', 'usd')).toEqual({ ok: false, message: 'at most 2 decimals for USD' });
    expect(toMinorUnits('15.5', 'jpy')).toMatchObject({ ok: false, message: expect.stringContaining('whole number') });
    expect(toMinorUnits('1,250.00', 'usd')).toMatchObject({ ok: false });
    expect(toMinorUnits('-3', 'usd')).toMatchObject({ ok: false });
    expect(toMinorUnits('', 'usd')).toMatchObject({ ok: false });
  });

  it('shows minor units as money and back as the text a form holds', () => {
    expect(formatPrice(25000, 'usd', 'en-US')).toBe('$250.00');
    expect(formatPrice(1500, 'jpy', 'en-US')).toBe('¥1,500');
    expect(toMajorText(1250, 'usd')).toBe('12.50');
    expect(toMajorText(5, 'usd')).toBe('0.05');
    expect(toMajorText(1500, 'jpy')).toBe('1500');
  });
});
