#!/usr/bin/env node
// Entry point of the `steveslist` command. It runs the bundle `npm install` built (see
// bin/build-server.ts) while the sources it was built from are unchanged, and the TypeScript
// sources through tsx otherwise, so there is no build step to remember between an edit and a run.
// chDB's queries, the loader's inserts, password hashing and compression share libuv's thread pool
// (4 threads by default): sized before anything starts it, so analysts cannot take all of it.
import { readFileSync, statSync } from 'node:fs';

process.env.UV_THREADPOOL_SIZE ??= '16';

/** The bundle's entry, when it is there and every source file it was built from is unchanged. */
function freshBundle() {
  if (process.env.STEVESLIST_FROM_SOURCES) return undefined;
  const dir = new URL('../.build/server/', import.meta.url);
  try {
    const { sources } = JSON.parse(readFileSync(new URL('sources.json', dir), 'utf8'));
    for (const source of sources) {
      if (statSync(source.path).mtimeMs !== source.mtimeMs) return undefined;
    }
    return new URL('cli.js', dir).href;
  } catch {
    // No bundle yet, or a source was removed: the sources are the truth.
    return undefined;
  }
}

const bundle = freshBundle();
let main;
if (bundle) {
  process.setSourceMapsEnabled(true);
  ({ main } = await import(bundle));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('./cli.ts'));
}
process.exitCode = await main(process.argv.slice(2));
