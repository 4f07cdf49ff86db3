// What the reader needs to know of a table beyond what the binlog says: its primary key and the
// columns whose binary form needs a type name (UUID, INET, BIT). Cached; dropped on DDL.
import type { Connection, Pool, RowDataPacket } from '../../marketplace/mysql/connection.js';
import type { SpecialType } from './column-values.js';

export interface TableSchema {
  database: string;
  table: string;
  columns: string[];
  primaryKey: string[];
  special: Map<string, SpecialType>;
}

const SPECIAL: Record<string, SpecialType> = { uuid: 'uuid', inet4: 'inet4', inet6: 'inet6', bit: 'bit' };

export class SchemaCache {
  private readonly tables = new Map<string, Promise<TableSchema | undefined>>();
  /** Loaded entries, readable without a promise on the hot path. */
  private readonly loaded = new Map<string, TableSchema | undefined>();

  constructor(private readonly pool: Pool | Connection) {}

  get(database: string, table: string): Promise<TableSchema | undefined> {
    const key = `${database}.${table}`;
    let entry = this.tables.get(key);
    if (!entry) {
      entry = this.load(database, table);
      this.tables.set(key, entry);
      entry.then((schema) => { if (this.tables.get(key) === entry) this.loaded.set(key, schema); }, () => this.tables.delete(key));
    }
    return entry;
  }

  /** The schema if it is loaded already (no await), else undefined. */
  cached(database: string, table: string): TableSchema | undefined {
    return this.loaded.get(`${database}.${table}`);
  }

  invalidate(database: string, table?: string): void {
    for (const key of [...this.tables.keys()]) {
      if (table === undefined ? key.startsWith(`${database}.`) : key === `${database}.${table}`) {
        this.tables.delete(key);
        this.loaded.delete(key);
      }
    }
  }

  private async load(database: string, table: string): Promise<TableSchema | undefined> {
    const [rows] = await this.pool.query<RowDataPacket[]>(
      `SELECT COLUMN_NAME AS name, DATA_TYPE AS type, COLUMN_KEY AS columnKey
       FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`,
      [database, table],
    );
    if (rows.length === 0) return undefined;
    const [keyRows] = await this.pool.query<RowDataPacket[]>(
      `SELECT COLUMN_NAME AS name FROM information_schema.KEY_COLUMN_USAGE
       WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND CONSTRAINT_NAME = 'PRIMARY' ORDER BY ORDINAL_POSITION`,
      [database, table],
    );
    const special = new Map<string, SpecialType>();
    for (const row of rows) {
      const kind = SPECIAL[String(row.type).toLowerCase()];
      if (kind) special.set(String(row.name), kind);
    }
    return {
      database, table, columns: rows.map((r) => String(r.name)), primaryKey: keyRows.map((r) => String(r.name)), special,
    };
  }
}
