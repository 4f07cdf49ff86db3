import { describe, expect, it } from 'vitest';
import { ColumnTypeUnreadable, enumSetLabels } from './enum-labels.js';

describe('enumSetLabels', () => {
  it('reads labels holding commas, doubled quotes, parentheses and backslash escapes as COLUMN_TYPE prints them', () => {
    expect(enumSetLabels("enum('a','b,c','d''e','f\\\\g','h\"i','','x)y','(z')")).toEqual({
      kind: 'enum', labels: ['a', 'b,c', "d'e", 'f\\g', 'h"i', '', 'x)y', '(z'],
    });
    expect(enumSetLabels("set('x','w''q','b\\\\s',')')")).toEqual({ kind: 'set', labels: ['x', "w'q", 'b\\s', ')'] });
  });

  it('reads the escapes of MySQL string literals and either quote', () => {
    expect(enumSetLabels("ENUM('a\\nb','c\\0','\\Z', \"d\"\"e\", 'f\\'g')")).toEqual({
      kind: 'enum', labels: ['a\nb', 'c\0', '\x1a', 'd"e', "f'g"],
    });
  });

  it('reads multi-byte labels', () => {
    expect(enumSetLabels("enum('café','🚀,ok')")?.labels).toEqual(['café', '🚀,ok']);
  });

  it('leaves other types alone', () => {
    expect(enumSetLabels('varchar(20)')).toBeUndefined();
    expect(enumSetLabels("settings('a')")).toBeUndefined();
  });

  it('refuses a label list it cannot read, naming the COLUMN_TYPE', () => {
    expect(() => enumSetLabels("enum('a','b")).toThrow(ColumnTypeUnreadable);
    expect(() => enumSetLabels("enum('a' 'b')")).toThrow(/COLUMN_TYPE "enum\('a' 'b'\)": expected ',' or '\)'/);
    expect(() => enumSetLabels('enum(a)')).toThrow(/expected a quoted label/);
  });
});
