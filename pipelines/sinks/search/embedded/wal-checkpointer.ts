// Copies an SQLite file's write-ahead log back into the file from a thread of its own. SQLite does
// it inside the commit that crosses its threshold (every ~4 MB of log), on the writing thread: the
// index's commits run on the platform's one main thread, and these checkpoints were about a third
// of an insert-heavy write's time. A PASSIVE checkpoint from another connection neither waits for
// nor blocks the writer or the readers.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** How often the thread checkpoints: the log grows by at most what the index writes meanwhile. */
const EVERY_MS = 250;

// Plain CommonJS run by the thread itself (a file of its own would need a path that holds both
// from the sources and from the bundle).
const THREAD = `
const { parentPort, workerData } = require('node:worker_threads');
const closed = new Int32Array(workerData.closed);
let db;
let timer;
const end = () => {
  clearInterval(timer);
  try { if (db && db.open) db.close(); } catch {}
  Atomics.store(closed, 0, 1);
  Atomics.notify(closed, 0);
};
parentPort.on('message', () => {
  end();
  parentPort.close();
});
try {
  const Database = require(workerData.sqlite);
  db = new Database(workerData.path, { fileMustExist: true });
  timer = setInterval(() => {
    try {
      db.pragma('wal_checkpoint(PASSIVE)');
    } catch (error) {
      end();
      parentPort.postMessage({ failed: String(error && error.message || error) });
    }
  }, workerData.everyMs);
} catch (error) {
  end();
  parentPort.postMessage({ failed: String(error && error.message || error) });
}
`;

/** How long close waits for the thread to close its connection (a checkpoint under way, or the thread still starting). */
const CLOSE_WAIT_MS = 2000;

export interface WalCheckpointer {
  /**
   * Ends the thread, waiting until its connection is closed: the writer's own close, the file's
   * last, then removes the log, and no connection is left to touch a file made later at that path.
   */
  stop(): void;
}

/**
 * Starts checkpointing the file at `path` beside its writer. `onFailed` hears once if the thread
 * could not go on (the writer should checkpoint for itself again then, or the log grows without end).
 */
export function startWalCheckpointer(path: string, onFailed: (reason: string) => void): WalCheckpointer {
  let failed = false;
  const fail = (reason: string) => {
    if (failed) return;
    failed = true;
    onFailed(reason);
  };
  const closed = new SharedArrayBuffer(4);
  const worker = new Worker(THREAD, { eval: true, workerData: { path, everyMs: EVERY_MS, closed, sqlite: createRequire(import.meta.url).resolve('better-sqlite3') } });
  // Never what keeps a process alive.
  worker.unref();
  let stopped = false;
  worker.on('message', (message: { failed?: string }) => { if (message.failed) fail(message.failed); });
  worker.on('error', (error) => fail(error.message));
  worker.on('exit', (code) => { if (!stopped) fail(`the checkpoint thread exited (code ${code})`); });
  return {
    stop() {
      if (stopped) return;
      stopped = true;
      worker.postMessage('stop');
      Atomics.wait(new Int32Array(closed), 0, 0, CLOSE_WAIT_MS);
    },
  };
}
