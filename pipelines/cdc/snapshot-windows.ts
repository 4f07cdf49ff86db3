// The stream's side of an incremental snapshot (DBLog's watermark algorithm): a chunk of a table
// is read between two watermark rows written to the signal table. Where the binlog shows the
// opening watermark, the window opens; every row of that table changed inside the window is newer
// than what the chunk read may hold, so it is struck from the chunk; where the closing watermark
// shows, the chunk's remaining rows go out, placed after every change before them. So a snapshot
// row never overwrites a newer streamed change, and streaming never stops. Pure: no I/O.
import type { Row } from './envelope.js';
import type { SnapshotSignal } from './signals.js';

export interface IncrementalProgress {
  /** Id of the signal that asked for it. */
  id: string;
  tables: { table: string; where?: string }[];
  /** Index in `tables` of the table being read; tables.length when done. */
  current: number;
  /** Primary key of the last row emitted of the current table. */
  lastKey?: unknown[];
  rows: number;
  paused: boolean;
}

/** What /admin/pipeline and /metrics show of a signalled snapshot. */
export interface IncrementalSnapshotStats {
  /** The table being read; undefined when every table is done. */
  table: string | undefined;
  tablesDone: number;
  tables: number;
  rows: number;
  paused: boolean;
}

/** The figures of a snapshot's progress, live or as saved with the position. */
export function incrementalStats(progress: IncrementalProgress | undefined): IncrementalSnapshotStats | undefined {
  return progress && {
    table: progress.tables[progress.current]?.table, tablesDone: Math.min(progress.current, progress.tables.length), tables: progress.tables.length, rows: progress.rows, paused: progress.paused,
  };
}

export interface ChunkRequest {
  table: string;
  where?: string;
  afterKey?: unknown[];
}

interface Window {
  chunk: string;
  table: string;
  open: boolean;
  /** Keys (as rowKey JSON) of the table's rows changed since the window opened. */
  changed: Set<string>;
  read?: { rows: Row[]; keys: (string | null)[]; lastKey: unknown[] | undefined; complete: boolean };
  closed: () => void;
}

export interface ChunkOut {
  table: string;
  rows: Row[];
}

export class SnapshotWindows {
  private window: Window | undefined;

  constructor(private progressValue: IncrementalProgress | undefined, private readonly log: (message: string, fields?: Record<string, unknown>) => void = () => undefined) {}

  /** The progress to save with the position (a copy: later windows change the live one). */
  progress(): IncrementalProgress | undefined {
    return this.progressValue && { ...this.progressValue, tables: [...this.progressValue.tables] };
  }

  /** What the driver reads next, or undefined when nothing is to be read (none, paused, done). */
  next(): ChunkRequest | undefined {
    const progress = this.progressValue;
    if (!progress || progress.paused || progress.current >= progress.tables.length) return undefined;
    const { table, where } = progress.tables[progress.current]!;
    return { table, ...(where ? { where } : {}), ...(progress.lastKey ? { afterKey: progress.lastKey } : {}) };
  }

  /** A signal from the binlog (not the watermarks: see opened/closed). Returns what it did, for the log. */
  signal(signal: SnapshotSignal): string {
    const progress = this.progressValue;
    switch (signal.kind) {
      case 'execute-snapshot': {
        if (progress && progress.current < progress.tables.length) {
          const queued = signal.tables.filter((t) => !progress.tables.slice(progress.current).some((q) => q.table === t.table && q.where === t.where));
          progress.tables.push(...queued);
          return `incremental snapshot queued after the running one: ${queued.map((t) => t.table).join(', ') || 'nothing new'}`;
        }
        this.progressValue = { id: signal.id, tables: [...signal.tables], current: 0, rows: 0, paused: false };
        this.window = undefined;
        return `incremental snapshot started: ${signal.tables.map((t) => t.where ? `${t.table} WHERE ${t.where}` : t.table).join(', ')}`;
      }
      case 'pause-snapshot':
        if (!progress || progress.current >= progress.tables.length) return 'pause-snapshot: no incremental snapshot is running';
        progress.paused = true;
        return 'incremental snapshot paused';
      case 'resume-snapshot':
        if (!progress || !progress.paused) return 'resume-snapshot: no incremental snapshot is paused';
        progress.paused = false;
        return 'incremental snapshot resumed';
      case 'stop-snapshot': {
        if (!progress || progress.current >= progress.tables.length) return 'stop-snapshot: no incremental snapshot is running';
        if (signal.tables.length > 0) {
          const running = progress.tables[progress.current]!.table;
          progress.tables = progress.tables.filter((t, index) => index <= progress.current || !signal.tables.includes(t.table));
          if (signal.tables.includes(running)) this.skipTable();
          return `incremental snapshot of ${signal.tables.join(', ')} stopped`;
        }
        this.progressValue = undefined;
        this.window?.closed();
        this.window = undefined;
        return 'incremental snapshot stopped';
      }
      default:
        return `signal ignored: ${signal.kind === 'unknown' ? signal.reason : signal.kind}`;
    }
  }

  /** The driver is about to write the opening watermark of `chunk`; `closed` is called when it went out. */
  expect(chunk: string, table: string, closed: () => void): void {
    this.window?.closed();
    this.window = { chunk, table, open: false, changed: new Set(), closed };
  }

  /** The driver read the chunk (between the watermarks). `complete`: the table has no rows after it. */
  read(chunk: string, rows: Row[], keys: (string | null)[], lastKey: unknown[] | undefined, complete: boolean): void {
    if (this.window?.chunk === chunk) this.window.read = { rows, keys, lastKey, complete };
  }

  opened(chunk: string): void {
    if (this.window?.chunk === chunk) this.window.open = true;
  }

  /** Whether changes of `table` are to be told to changedRow now (a window on it is open). */
  watching(table: string): boolean {
    return this.window?.open === true && this.window.table === table;
  }

  changedRow(key: string | null): void {
    if (key !== null) this.window?.changed.add(key);
  }

  /** The closing watermark went by: the chunk's rows not changed in the window, to go out now. */
  closed(chunk: string): ChunkOut | undefined {
    const window = this.window;
    const progress = this.progressValue;
    if (!window || window.chunk !== chunk || !window.open || !window.read) return undefined;
    this.window = undefined;
    window.closed();
    if (!progress || progress.tables[progress.current]?.table !== window.table) return undefined;
    const rows = window.read.rows.filter((_, index) => {
      const key = window.read!.keys[index];
      return key === null || key === undefined || !window.changed.has(key);
    });
    progress.rows += rows.length;
    if (window.read.complete) this.skipTable();
    else progress.lastKey = window.read.lastKey;
    return { table: window.table, rows };
  }

  /** Leaves the current table (done, stopped or gone) for the next. */
  skipTable(): void {
    const progress = this.progressValue;
    if (!progress || progress.current >= progress.tables.length) return;
    this.window?.closed();
    this.window = undefined;
    progress.current++;
    progress.lastKey = undefined;
    if (progress.current >= progress.tables.length) this.log('incremental snapshot finished', { rows: progress.rows, tables: progress.tables.length });
  }
}
