// Bundles the platform's TypeScript into one folder of JavaScript modules (`npm install` runs it),
// so `steveslist` starts in a fraction of the time loading every source through tsx takes: a
// restart is back to streaming sooner, and every CLI call is faster. Packages stay external
// (native ones such as chDB and SQLite cannot be bundled). Beside the bundle, a list of the source
// files it was built from with their modification times: bin/steveslist.js uses the bundle only
// while none of them changed, and the sources through tsx otherwise, so an edit is never served stale.
import { build } from 'esbuild';
import { mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PROJECT_ROOT } from '../core/project-root.js';

export const BUNDLE_DIR = join(PROJECT_ROOT, '.build', 'server');

export async function buildServer(): Promise<{ dir: string; sources: number; ms: number }> {
  const started = Date.now();
  // Built beside and renamed into place: a CLI starting meanwhile sees the old bundle or the new one.
  const staging = `${BUNDLE_DIR}.${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  const result = await build({
    // Each thread loads a file of its own, found beside the chunks (core/threads/start-thread.ts).
    entryPoints: {
      cli: join(PROJECT_ROOT, 'bin', 'cli.ts'),
      'cdc-reader-thread': join(PROJECT_ROOT, 'pipelines', 'cdc', 'thread', 'reader-thread.ts'),
      'search-thread': join(PROJECT_ROOT, 'pipelines', 'sinks', 'search', 'embedded', 'thread', 'search-thread.ts'),
      'percolator-thread': join(PROJECT_ROOT, 'pipelines', 'sinks', 'search-alerts', 'thread', 'percolator-thread.ts'),
    },
    absWorkingDir: PROJECT_ROOT,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    splitting: true,
    sourcemap: 'linked',
    outdir: staging,
    metafile: true,
    logLevel: 'warning',
  });
  const sources = Object.keys(result.metafile.inputs).map((input) => {
    const path = resolve(PROJECT_ROOT, input);
    return { path, mtimeMs: statSync(path).mtimeMs };
  });
  writeFileSync(join(staging, 'sources.json'), JSON.stringify({ builtAt: new Date(started).toISOString(), sources }));
  try {
    rmSync(BUNDLE_DIR, { recursive: true, force: true });
    renameSync(staging, BUNDLE_DIR);
  } catch (error) {
    // Another build (a second test run) put its bundle there first: built from the same sources.
    rmSync(staging, { recursive: true, force: true });
    if ((error as NodeJS.ErrnoException).code !== 'ENOTEMPTY' && (error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return { dir: BUNDLE_DIR, sources: sources.length, ms: Date.now() - started };
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(PROJECT_ROOT, 'bin', 'build-server.ts')) {
  const built = await buildServer();
  process.stdout.write(`server bundle: ${built.sources} source files in ${built.ms} ms\n`);
}
