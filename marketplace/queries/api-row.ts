// Rows as the API shows them. The app's pool returns BIGINTs as strings (exact first) and
// DATETIMEs as text in UTC; ids and money fit in 2^53, and times become ISO 8601.
import type { RowDataPacket } from '../mysql/connection.js';

const INTEGER_COLUMN = /^(id|.*_id|price_amount|amount)$/;
const TIME_COLUMN = /_at$/;

export function apiRow<T>(row: RowDataPacket): T {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) {
    // Only integers become numbers: some *_id columns hold UUIDs (a webhook's or an email's event_id).
    if (value !== null && INTEGER_COLUMN.test(key) && (typeof value !== 'string' || /^-?\d+$/.test(value))) out[key] = Number(value);
    else if (typeof value === 'string' && TIME_COLUMN.test(key)) out[key] = `${value.replace(' ', 'T')}Z`;
    else out[key] = value;
  }
  return out as T;
}
