// ENUM and SET labels from a column's definition as information_schema's COLUMN_TYPE prints it,
// e.g. enum('a','b,c','d''e','f\\g'). A label may hold commas, parentheses, doubled quotes and
// backslash escapes, so the list is read quote by quote, never split on commas.
import { PlatformError } from '../../core/errors.js';

/** A COLUMN_TYPE that says ENUM or SET but whose label list cannot be read. */
export class ColumnTypeUnreadable extends PlatformError {
  readonly code = 'COLUMN_TYPE_UNREADABLE';
  readonly retriable = false;
}

export interface EnumSetLabels {
  kind: 'enum' | 'set';
  labels: string[];
}

/** The escapes MySQL's string literals know; any other escaped character stands for itself. */
const ESCAPES: Record<string, string> = { '0': '\0', b: '\b', n: '\n', r: '\r', t: '\t', Z: '\x1a' };

/** The labels of an ENUM or SET column type, in order; undefined for any other type. */
export function enumSetLabels(columnType: string): EnumSetLabels | undefined {
  const start = /^\s*(enum|set)\s*\(/i.exec(columnType);
  if (!start) return undefined;
  const unreadable = (why: string) => new ColumnTypeUnreadable(`COLUMN_TYPE ${JSON.stringify(columnType)}: ${why} at character ${i + 1}`);
  const labels: string[] = [];
  let i = start[0].length;
  const skipSpace = () => {
    while (/\s/.test(columnType[i] ?? '')) i++;
  };
  for (;;) {
    skipSpace();
    const quote = columnType[i];
    if (quote !== "'" && quote !== '"') throw unreadable('expected a quoted label');
    i++;
    let label = '';
    for (;;) {
      const c = columnType[i];
      if (c === undefined) throw unreadable('unterminated label');
      if (c === '\\') {
        const escaped = columnType[i + 1];
        if (escaped === undefined) throw unreadable('unterminated label');
        label += ESCAPES[escaped] ?? escaped;
        i += 2;
      } else if (c === quote && columnType[i + 1] === quote) {
        label += quote;
        i += 2;
      } else if (c === quote) {
        i++;
        break;
      } else {
        label += c;
        i++;
      }
    }
    labels.push(label);
    skipSpace();
    if (columnType[i] === ')') return { kind: start[1]!.toLowerCase() as 'enum' | 'set', labels };
    if (columnType[i] !== ',') throw unreadable("expected ',' or ')'");
    i++;
  }
}
