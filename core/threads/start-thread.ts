// Starts a worker thread on one of the platform's modules, whichever way the process runs: from
// the bundle (bin/build-server.ts builds each thread's entry beside the chunks, under its own
// name) or from the TypeScript sources, loaded through tsx as the process's own sources are.
import { Worker, type WorkerOptions } from 'node:worker_threads';
import { forgetOsThread, isOsThreadAnnouncement, nameOsThread } from './thread-cpu.js';

/**
 * `source`: the module's TypeScript file; `bundled`: its entry's name in the bundle. V8's flags
 * (--max-semi-space-size) are the process's and reach the thread; it may not be given them again.
 */
export function startThread(source: URL, bundled: string, options: Omit<WorkerOptions, 'eval' | 'execArgv'>): Worker {
  const worker = import.meta.url.endsWith('.ts') ? new Worker(viaTsx(source), { ...options, eval: true }) : new Worker(new URL(`./${bundled}.js`, import.meta.url), options);
  // The thread's CPU shows under its name in /metrics once it says which OS thread it is.
  const named = (message: unknown) => {
    if (!isOsThreadAnnouncement(message)) return;
    worker.off('message', named);
    nameOsThread(message.osThreadId, bundled);
    worker.once('exit', () => forgetOsThread(message.osThreadId));
  };
  worker.on('message', named);
  return worker;
}

function viaTsx(source: URL): string {
  const tsx = import.meta.resolve('tsx/esm/api');
  return `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(source.href)}); });`;
}
