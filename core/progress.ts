/**
 * Progress for long work (seeding, snapshots, backfills). On a terminal it redraws one line; in a
 * log file or CI it prints a line at most every `intervalMs`, so output stays readable there too.
 */
export interface Progress {
  update(done: number, detail?: string): void;
  finish(detail?: string): void;
}

export interface ProgressOptions {
  label: string;
  total?: number;
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
  intervalMs?: number;
  now?: () => number;
}

export function createProgress(options: ProgressOptions): Progress {
  const stream = options.stream ?? process.stderr;
  const tty = stream.isTTY === true;
  const now = options.now ?? Date.now;
  const intervalMs = options.intervalMs ?? (tty ? 100 : 2000);
  const startedAt = now();
  let lastPrintAt = -Infinity;
  let done = 0;

  const line = (detail?: string): string => {
    const elapsedS = Math.max((now() - startedAt) / 1000, 0.001);
    const rate = Math.round(done / elapsedS);
    const count = options.total !== undefined
      ? `${done}/${options.total} (${Math.floor((100 * done) / Math.max(options.total, 1))}%)`
      : `${done}`;
    return `${options.label}: ${count} ${rate}/s ${elapsedS.toFixed(1)}s${detail ? ` ${detail}` : ''}`;
  };

  return {
    update(value, detail) {
      done = value;
      const t = now();
      if (t - lastPrintAt < intervalMs) return;
      lastPrintAt = t;
      stream.write(tty ? `\r\x1b[K${line(detail)}` : `${line(detail)}\n`);
    },
    finish(detail) {
      stream.write(tty ? `\r\x1b[K${line(detail)}\n` : `${line(detail)}\n`);
    },
  };
}
