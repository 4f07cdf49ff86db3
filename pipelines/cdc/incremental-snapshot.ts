// The reading side of an incremental snapshot: chunk after chunk of the signalled tables, each
// read between an opening and a closing watermark row written to the signal table, while the
// reader goes on streaming (see snapshot-windows.ts for what the stream does with them). It writes
// to the source, so the capture user needs INSERT and DELETE on the signal table (as Debezium's).
import { randomUUID } from 'node:crypto';
import type { Logger } from '../../core/log.js';
import { backoffMs } from '../../core/retry-schedule.js';
import type { Pool } from '../../marketplace/mysql/connection.js';
import { rowKey } from './envelope.js';
import { readChunk } from './snapshot.js';
import type { SnapshotWindows } from './snapshot-windows.js';
import type { SchemaCache } from './table-schema.js';

export interface IncrementalSnapshotOptions {
  pool: Pool;
  database: string;
  signalTable: string;
  chunkRows: number;
  schemas: SchemaCache;
  windows: SnapshotWindows;
  log: Logger;
  stopping(): boolean;
  /** How long a chunk's closing watermark may take to come back through the binlog before it is read again. */
  windowTimeoutMs?: number;
}

const IDLE_MS = 200;

/** Runs until stopping(): reads chunks whenever the windows say there is something to read. */
export async function runIncrementalSnapshots(options: IncrementalSnapshotOptions): Promise<void> {
  const { windows, log } = options;
  let failures = 0;
  while (!options.stopping()) {
    const request = windows.next();
    if (!request) {
      await sleep(IDLE_MS);
      continue;
    }
    try {
      await readOneChunk(options, request.table, request.where, request.afterKey);
      failures = 0;
    } catch (error) {
      failures++;
      const waitMs = backoffMs(failures, 500, 30_000);
      log.warn({ err: error, table: request.table, attempt: failures, waitMs }, `incremental snapshot: reading a chunk of ${request.table} failed; trying again (the capture user needs SELECT on it and INSERT, DELETE on ${options.signalTable})`);
      await sleep(waitMs);
    }
  }
}

async function readOneChunk(options: IncrementalSnapshotOptions, table: string, where: string | undefined, afterKey: unknown[] | undefined): Promise<void> {
  const { pool, database, windows, log } = options;
  options.schemas.invalidate(database, table);
  const schema = await options.schemas.get(database, table);
  if (!schema || schema.primaryKey.length === 0) {
    log.warn({ table }, schema ? `incremental snapshot: ${table} has no primary key to read it in chunks by; skipped` : `incremental snapshot: ${database}.${table} does not exist; skipped`);
    windows.skipTable();
    return;
  }
  const chunk = randomUUID();
  const signals = `\`${database}\`.\`${options.signalTable}\``;
  const closed = new Promise<void>((resolve) => windows.expect(chunk, table, resolve));
  await pool.query(`INSERT INTO ${signals} (id, type, data) VALUES (?, 'snapshot-window-open', NULL)`, [`${chunk}-open`]);
  const read = await readChunk(pool, schema, options.chunkRows, afterKey, where);
  windows.read(chunk, read.rows, read.rows.map((row) => rowKey(schema.primaryKey, row)), read.lastKey, read.complete);
  await pool.query(`INSERT INTO ${signals} (id, type, data) VALUES (?, 'snapshot-window-close', NULL)`, [`${chunk}-close`]);
  // The closing watermark comes back through the binlog; a stop, a lost window after a
  // reconnect, or a paused stream end the wait, and the chunk is read again from the saved key.
  const deadline = Date.now() + (options.windowTimeoutMs ?? 60_000);
  let done = false;
  void closed.then(() => { done = true; });
  // Woken by the close itself; the short sleep only notices a stop or the deadline.
  while (!done && !options.stopping() && Date.now() < deadline) await Promise.race([closed, sleep(IDLE_MS)]);
  await pool.query(`DELETE FROM ${signals} WHERE id IN (?, ?)`, [`${chunk}-open`, `${chunk}-close`]).catch(() => undefined);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
