// Packages that only some roles use (chDB's engine, the webhook client, SMTP) took 60-150 ms each
// of every start to load, before the process could stream or serve. They load at their first
// use instead: a restart serves and streams first, and a command that never needs one never
// loads it. Only for CommonJS packages, which load synchronously.
import { createRequire } from 'node:module';

// Not named `require`: the bundler would take the calls for its own and try to resolve them.
const load = createRequire(import.meta.url);

/** `name`'s exports, loaded at the first call (typed by the caller: `onFirstUse<typeof import('x')>('x')`). */
export function onFirstUse<T>(name: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= load(name) as T);
}
