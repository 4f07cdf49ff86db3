// Topic names (Debezium's conventions) and which tables and columns leave the database.
import type { Config } from '../../core/config/index.js';

export function tableTopic(prefix: string, database: string, table: string): string {
  return `${prefix}.${database}.${table}`;
}

export function eventsTopic(prefix: string, aggregateType: string): string {
  return `${prefix}.events.${aggregateType.replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Every domain-event topic, present and future (a consumer subscribes by pattern). */
export function eventsTopicPattern(prefix: string): RegExp {
  return new RegExp(`^${escapeRegExp(`${prefix}.events.`)}`);
}

/** Every row-change topic of one database. */
export function tableTopicPattern(prefix: string, database: string): RegExp {
  return new RegExp(`^${escapeRegExp(`${prefix}.${database}.`)}`);
}

export function isTableTopic(prefix: string, database: string, topic: string): boolean {
  return topic.startsWith(`${prefix}.${database}.`);
}

export interface TableFilterOptions {
  database: string;
  /** `table` or `database.table`; empty means every table of the database. */
  include: readonly string[];
  exclude: readonly string[];
  /** `table.column` or `database.table.column`. */
  excludeColumns: readonly string[];
}

export class TableFilter {
  private readonly include: Set<string>;
  private readonly exclude: Set<string>;
  private readonly dropColumns = new Map<string, Set<string>>();

  constructor(private readonly options: TableFilterOptions) {
    const qualify = (name: string) => (name.includes('.') ? name : `${options.database}.${name}`);
    this.include = new Set(options.include.map(qualify));
    this.exclude = new Set(options.exclude.map(qualify));
    for (const entry of options.excludeColumns) {
      const parts = entry.split('.');
      const [db, table, column] = parts.length === 3 ? parts : [options.database, ...parts];
      const key = `${db}.${table}`;
      this.dropColumns.set(key, (this.dropColumns.get(key) ?? new Set()).add(column!));
    }
  }

  accepts(database: string, table: string): boolean {
    const name = `${database}.${table}`;
    if (database !== this.options.database && !this.include.has(name)) return false;
    if (this.exclude.has(name)) return false;
    return this.include.size === 0 || this.include.has(name);
  }

  /** Whether the table is named by the exclude list (never captured, whatever a signal asks). */
  excludes(database: string, table: string): boolean {
    return this.exclude.has(`${database}.${table}`);
  }

  /** The tables of `database` the exclude list names. */
  excludedTables(database: string): string[] {
    return [...this.exclude].filter((name) => name.startsWith(`${database}.`)).map((name) => name.slice(database.length + 1));
  }

  /** The table's columns the exclude list names (CDC_EXCLUDE_COLUMNS). */
  droppedColumns(database: string, table: string): ReadonlySet<string> {
    return this.dropColumns.get(`${database}.${table}`) ?? new Set();
  }

  /** The row without excluded columns (secrets never reach the bus). */
  strip(database: string, table: string, row: Record<string, unknown> | null): Record<string, unknown> | null {
    const drop = this.dropColumns.get(`${database}.${table}`);
    if (!row || !drop) return row;
    return Object.fromEntries(Object.entries(row).filter(([column]) => !drop.has(column)));
  }
}

/** The tables and columns change capture lets out of `database` (CDC_INCLUDE_TABLES, CDC_EXCLUDE_TABLES, CDC_EXCLUDE_COLUMNS). */
export function captureFilterOptions(config: Pick<Config, 'cdc'>, database: string): TableFilterOptions {
  return { database, include: config.cdc.includeTables, exclude: config.cdc.excludeTables, excludeColumns: config.cdc.excludeColumns };
}

export const captureFilter = (config: Pick<Config, 'cdc'>, database: string) => new TableFilter(captureFilterOptions(config, database));
