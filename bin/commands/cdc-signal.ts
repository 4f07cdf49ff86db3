// `steveslist cdc snapshot ...`: writes a signal row (Debezium's shape) to the signal table, which
// change capture reads from the binlog, whichever engine runs it. The command only asks; the
// running capture does the work and shows its progress in /admin/pipeline and /metrics.
import { randomUUID } from 'node:crypto';
import { UsageError } from '../../core/errors.js';
import { parseMysqlUrl } from '../../marketplace/mysql/connection.js';
import { signalTableDdl } from '../../pipelines/cdc/signals.js';
import { parseOptions } from '../args.js';
import type { CommandContext } from '../command.js';
import { openDatabase } from './open-database.js';

export const cdcSignalUsage = 'steveslist cdc snapshot <table> [<table> ...] [--where <condition>] | steveslist cdc snapshot --pause | --resume | --stop [<table> ...]';

const print = (line: string) => process.stdout.write(`${line}\n`);

/** The signal a command line asks for: its type and data, as Debezium reads them too. */
export function signalFor(args: string[], database: string): { type: string; data: Record<string, unknown> } {
  const { values, positionals } = parseOptions(args, {
    where: { type: 'string' }, pause: { type: 'boolean' }, resume: { type: 'boolean' }, stop: { type: 'boolean' },
  });
  const actions = (['pause', 'resume', 'stop'] as const).filter((action) => values[action]);
  if (actions.length > 1) throw new UsageError(`--${actions.join(' and --')}: choose one`);
  const collections = positionals.map((table) => {
    if (!/^[A-Za-z0-9_$]+(\.[A-Za-z0-9_$]+)?$/.test(table)) throw new UsageError(`"${table}": expected a table name (or database.table)`);
    return table.includes('.') ? table : `${database}.${table}`;
  });
  if (actions.length === 1) {
    if (values.where) throw new UsageError('--where goes with a snapshot to take, not with --pause, --resume or --stop');
    return { type: `${actions[0]}-snapshot`, data: { type: 'incremental', ...(collections.length ? { 'data-collections': collections } : {}) } };
  }
  if (collections.length === 0) throw new UsageError(`name the table(s) to snapshot; usage: ${cdcSignalUsage}`);
  if (values.where !== undefined && collections.length !== 1) throw new UsageError('--where applies to one table: name only that table');
  if (values.where !== undefined && values.where.trim() === '') throw new UsageError('--where: expected a condition, e.g. --where "created_at >= \'2026-01-01\'"');
  return {
    type: 'execute-snapshot',
    data: {
      'data-collections': collections, type: 'incremental',
      ...(values.where ? { 'additional-conditions': [{ 'data-collection': collections[0], filter: values.where }] } : {}),
    },
  };
}

export async function runCdcSignal(context: CommandContext, args: string[]): Promise<number> {
  const db = await openDatabase(context, { connectionLimit: 1 });
  try {
    const { database } = parseMysqlUrl(db.source.url);
    const signal = signalFor(args, database);
    const table = context.config.cdc.signalTable;
    const data = JSON.stringify(signal.data);
    if (data.length > 2048) throw new UsageError('the signal is longer than the signal table takes (2,048 characters): shorten --where');
    // The table may be a user's own MySQL's, made for Debezium or not made yet.
    await db.pool.query(signalTableDdl(table));
    const id = randomUUID();
    await db.pool.query(`INSERT INTO \`${table}\` (id, type, data) VALUES (?, ?, ?)`, [id, signal.type, data]);
    print(`signal ${id} written to ${database}.${table}: ${signal.type} ${data}`);
    print('change capture acts on it where it reads it in the binlog; progress: /admin/pipeline, steveslist_cdc_incremental_snapshot_* in /metrics');
    return 0;
  } finally {
    await db.close();
  }
}
