// Prices travel as integer minor units (cents) with an ISO 4217 code; people read and type major
// units. The number of minor digits comes from the currency (JPY 0, USD 2, KWD 3).

export function minorDigits(currency: string): number {
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency: currency.toUpperCase() }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    return 2;
  }
}

export function formatPrice(amountMinor: number, currency: string, locale?: string): string {
  const digits = minorDigits(currency);
  const major = amountMinor / 10 ** digits;
  try {
    return new Intl.NumberFormat(locale, { style: 'currency', currency: currency.toUpperCase() }).format(major);
  } catch {
    return `${major.toFixed(digits)} ${currency.toUpperCase()}`;
  }
}

/** The amount as typed in a price field: `1250` USD minor units is `"12.50"`. */
export function toMajorText(amountMinor: number, currency: string): string {
  const digits = minorDigits(currency);
  if (digits === 0) return String(amountMinor);
  const text = String(amountMinor).padStart(digits + 1, '0');
  return `${text.slice(0, -digits)}.${text.slice(-digits)}`;
}

export type Parsed = { ok: true; amountMinor: number } | { ok: false; message: string };

/**
 * `"12.5"` USD is 1250. Parsed as text, not as a float, so 0.29 never becomes 28 cents. A comma
 * is accepted as the decimal mark; grouping separators are not, since "1,250" is ambiguous.
 */
export function toMinorUnits(text: string, currency: string): Parsed {
  const digits = minorDigits(currency);
  const match = /^(\d+)(?:[.,](\d*))?$/.exec(text.trim());
  if (!match) return { ok: false, message: 'enter a number such as 12.50' };
  const whole = match[1]!.replace(/^0+(?=\d)/, '');
  const fraction = match[2] ?? '';
  if (fraction.length > digits) {
    return { ok: false, message: digits === 0 ? `${currency.toUpperCase()} has no minor units; enter a whole number` : `at most ${digits} decimals for ${currency.toUpperCase()}` };
  }
  if (whole.length > 13) return { ok: false, message: 'that price is too large' };
  return { ok: true, amountMinor: Number(whole + fraction.padEnd(digits, '0')) };
}
