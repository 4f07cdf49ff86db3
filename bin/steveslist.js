#!/usr/bin/env node
// Entry point of the `steveslist` command: loads the TypeScript sources through tsx, so there is
// no separate build step between `npm install` and `npm start`.
// chDB's queries, the loader's inserts, password hashing and compression share libuv's thread pool
// (4 threads by default): sized before anything starts it, so analysts cannot take all of it.
process.env.UV_THREADPOOL_SIZE ??= '16';
const { register } = await import('tsx/esm/api');

register();
const { main } = await import('./cli.ts');
process.exitCode = await main(process.argv.slice(2));
