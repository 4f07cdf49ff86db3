// MySQL column types -> ClickHouse types for the raw layer, in the representation the change
// events carry (see pipelines/cdc/column-values.ts). Documented in warehouse/README.md.

export interface SourceColumn {
  name: string;
  /** information_schema DATA_TYPE, e.g. bigint, varchar, datetime. */
  dataType: string;
  /** information_schema COLUMN_TYPE, e.g. "bigint(20) unsigned", "decimal(12,2)". */
  columnType: string;
  nullable: boolean;
}

export function clickhouseType(column: SourceColumn): string {
  const unsigned = /unsigned/i.test(column.columnType);
  const u = unsigned ? 'U' : '';
  let type: string;
  switch (column.dataType.toLowerCase()) {
    case 'tinyint': type = `${u}Int8`; break;
    case 'smallint': type = `${u}Int16`; break;
    case 'mediumint':
    case 'int':
    case 'integer': type = `${u}Int32`; break;
    case 'bigint': type = `${u}Int64`; break;
    case 'bit': type = 'UInt64'; break;
    case 'year': type = 'UInt16'; break;
    case 'float': type = 'Float32'; break;
    case 'double':
    case 'real': type = 'Float64'; break;
    case 'decimal':
    case 'numeric': {
      const match = /\((\d+)\s*,\s*(\d+)\)/.exec(column.columnType);
      type = match ? `Decimal(${match[1]}, ${match[2]})` : 'Decimal(10, 0)';
      break;
    }
    case 'datetime':
    case 'timestamp': type = "DateTime64(6, 'UTC')"; break;
    case 'date': type = 'Date32'; break;
    case 'enum': type = 'LowCardinality(String)'; break;
    // Text, JSON (text on MariaDB), SET labels, TIME, UUID/INET text and base64 binaries.
    default: type = 'String';
  }
  if (!column.nullable) return type;
  // ClickHouse nests the other way round for dictionary-encoded columns: LowCardinality(Nullable(T)).
  const lowCardinality = /^LowCardinality\((.*)\)$/.exec(type);
  return lowCardinality ? `LowCardinality(Nullable(${lowCardinality[1]}))` : `Nullable(${type})`;
}
