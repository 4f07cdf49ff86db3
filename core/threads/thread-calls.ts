// Calls to an object that lives on a worker thread, by method name: each call crosses as
// { id, method, args } (structured clone) and its answer or error comes back by id. A thread that
// dies (out of memory, a native crash) fails the calls in flight as unavailable, which callers
// retry; the next call starts a new thread. The thread's side is serveCalls().
import { parentPort, type Worker } from 'node:worker_threads';
import { ServiceUnavailable } from '../errors.js';
import { crossError, reviveError, type CrossedError } from './crossing-errors.js';
import { announceOsThread } from './thread-cpu.js';

interface Call {
  /** 0: no answer is awaited (told, not asked). */
  id: number;
  method: string;
  args: unknown[];
}

interface Answer {
  id: number;
  value?: unknown;
  error?: CrossedError;
}

type Pending = { resolve: (value: unknown) => void; reject: (error: Error) => void };

export class ThreadCalls {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;
  /** Called after a thread was lost, before the next one starts (it starts empty). */
  onLost: (() => void) | undefined;

  /** `start` starts the thread (core/threads/start-thread.ts); `what` names it in errors. */
  constructor(private readonly start: () => Worker, private readonly what: string) {}

  call(method: string, ...args: unknown[]): Promise<unknown> {
    if (this.closed) return Promise.reject(new ServiceUnavailable(`${this.what} is closed`));
    const worker = this.thread();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      // Keeps the process alive while a call is out, and only then (see thread()).
      if (this.pending.size === 1) worker.ref();
      worker.postMessage({ id, method, args } satisfies Call);
    });
  }

  /** A call whose answer nobody waits for; it still comes before every later call. */
  tell(method: string, ...args: unknown[]): void {
    if (this.closed) return;
    this.thread().postMessage({ id: 0, method, args } satisfies Call);
  }

  /** Makes the last call (`method`, e.g. the object's own close) and ends the thread. */
  async close(method?: string): Promise<void> {
    if (this.closed) return;
    if (method && this.worker) await this.call(method).catch(() => undefined);
    this.closed = true;
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }

  /** The running thread, started when there is none. */
  private thread(): Worker {
    if (this.worker) return this.worker;
    const worker = this.start();
    worker.on('message', (answer: Answer) => {
      const pending = this.pending.get(answer.id);
      if (!pending) return;
      this.pending.delete(answer.id);
      if (this.pending.size === 0) worker.unref();
      if (answer.error) pending.reject(reviveError(answer.error));
      else pending.resolve(answer.value);
    });
    const lost = (why: string) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      const error = new ServiceUnavailable(`${this.what}'s thread stopped (${why}); it starts again on the next call`);
      for (const pending of this.pending.values()) pending.reject(error);
      this.pending.clear();
      if (!this.closed) this.onLost?.();
    };
    // An idle thread does not keep the process from ending, as an idle object in memory does not.
    worker.unref();
    worker.on('error', (error) => lost(error.message));
    worker.on('exit', (code) => lost(`exit code ${code}`));
    this.worker = worker;
    return worker;
  }
}

/** The thread's side: answers each call with `answer(method, args)`, its value or its error. */
export function serveCalls(answer: (method: string, args: unknown[]) => unknown): void {
  const port = parentPort!;
  announceOsThread();
  port.on('message', (call: Call) => {
    let result: Promise<unknown>;
    try {
      result = Promise.resolve(answer(call.method, call.args));
    } catch (error) {
      result = Promise.reject(error);
    }
    if (call.id === 0) {
      // Told, not asked: a failure has nobody to go back to, so it ends the thread (and is seen).
      result.catch((error: unknown) => { throw error; });
      return;
    }
    result.then(
      (value) => port.postMessage({ id: call.id, value } satisfies Answer),
      (error: unknown) => port.postMessage({ id: call.id, error: crossError(error) } satisfies Answer),
    );
  });
}
