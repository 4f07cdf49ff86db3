// Where the reader is: the binlog position after the last transaction the bus acknowledged, the
// version clock at that point, and, while one runs, how far the snapshot got.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { IncrementalProgress } from './snapshot-windows.js';

export interface SnapshotProgress {
  /** Binlog position and GTID the snapshot is consistent with; streaming starts there. */
  file: string;
  pos: number;
  gtid: string | null;
  /** Clock of every snapshot row (the version of a snapshot row is clock * 2^20). */
  clock: string;
  tablesDone: string[];
  /** Primary key of the last row published, per table in progress. */
  lastKey?: { table: string; values: unknown[] };
}

export interface ReaderState {
  /** @@server_id of the source the position belongs to; another one means a failover. */
  sourceServerId: number;
  file: string;
  pos: number;
  /** MariaDB GTID position (domain-server-sequence per domain) after the last transaction. */
  gtid: string | null;
  /** Decimal bigint; see event-version.ts. */
  clock: string;
  snapshot?: SnapshotProgress;
  /** A signalled snapshot's progress as of this position (see snapshot-windows.ts). */
  incremental?: IncrementalProgress;
  /** Tables a signal added to capture beyond CDC_INCLUDE_TABLES. */
  addedTables?: string[];
  updatedAt: string;
}

/** Where the reader keeps its state. A file on one machine; anything durable in scale-out. */
export interface StateStore {
  load(): Promise<ReaderState | undefined>;
  save(state: ReaderState): Promise<void>;
}

export class FileStateStore implements StateStore {
  private readonly path: string;

  constructor(dir: string) {
    mkdirSync(dir, { recursive: true });
    this.path = join(dir, 'reader-state.json');
  }

  async load(): Promise<ReaderState | undefined> {
    return existsSync(this.path) ? (JSON.parse(readFileSync(this.path, 'utf8')) as ReaderState) : undefined;
  }

  /** Atomic replace: after a crash the file holds the old state or the new one, never half. */
  async save(state: ReaderState): Promise<void> {
    const tmp = `${this.path}.tmp`;
    const handle = await open(tmp, 'w');
    try {
      await handle.writeFile(JSON.stringify(state));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, this.path);
  }
}

/** Folds a transaction's MariaDB GTID (d-s-n) into a GTID position with one entry per domain. */
export function advanceGtid(position: string | null, gtid: string | null): string | null {
  if (!gtid || !/^\d+-\d+-\d+$/.test(gtid)) return position;
  const domain = gtid.split('-')[0]!;
  const entries = (position ? position.split(',') : []).filter((entry) => entry.split('-')[0] !== domain);
  return [...entries, gtid].sort().join(',');
}
