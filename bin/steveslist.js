#!/usr/bin/env -S node --max-semi-space-size=64
// Entry point of the `steveslist` command. It runs the bundle `npm install` built (see
// bin/build-server.ts) while the sources it was built from are unchanged, and the TypeScript
// sources through tsx otherwise, so there is no build step to remember between an edit and a run.
// chDB's queries, the loader's inserts, password hashing and compression share libuv's thread pool
// (4 threads by default): sized before anything starts it, so analysts cannot take all of it.
// Every way it is started passes --max-semi-space-size=64 (the first line here, package.json's
// scripts, the Dockerfile, the tests' runner): consumers allocate a message's envelope and row
// for a moment each, and V8's default young generation had them spend a fifth of the main
// thread collecting garbage while catching up; 64 MB made it a seventh.
import { freshBundle } from './fresh-bundle.js';

process.env.UV_THREADPOOL_SIZE ??= '16';

const bundle = process.env.STEVESLIST_FROM_SOURCES ? undefined : freshBundle(new URL('../.build/server/', import.meta.url));
process.env.STEVESLIST_RUNS_FROM = bundle ? 'bundle' : 'sources';
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
