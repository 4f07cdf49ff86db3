// The bundle steveslist runs from: built from the sources, used only while they are unchanged.
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../test/fixtures/run-cli.js';
import { tempDir } from '../test/fixtures/temp-dir.js';
import { BUNDLE_DIR } from './build-server.js';
import { freshBundle } from './fresh-bundle.js';

const dir = tempDir();
afterAll(() => dir.remove());

function fakeBundle(name: string, sources: string[]): URL {
  const bundle = join(dir.path, name);
  mkdirSync(bundle, { recursive: true });
  writeFileSync(join(bundle, 'cli.js'), 'export async function main() { return 0; }\n');
  writeFileSync(join(bundle, 'sources.json'), JSON.stringify({ sources: sources.map((path) => ({ path, mtimeMs: statSync(path).mtimeMs })) }));
  return pathToFileURL(`${bundle}/`);
}

describe('the server bundle', () => {
  it('is used while every source it was built from is unchanged, and not after an edit or a removal', () => {
    const a = join(dir.path, 'a.ts');
    const b = join(dir.path, 'b.ts');
    writeFileSync(a, 'export {};\n');
    writeFileSync(b, 'export {};\n');
    const bundle = fakeBundle('bundle', [a, b]);
    expect(freshBundle(bundle)).toBe(new URL('cli.js', bundle).href);

    utimesSync(b, new Date(), new Date(Date.now() + 5_000));
    expect(freshBundle(bundle)).toBeUndefined();

    const again = fakeBundle('again', [a, b]);
    expect(freshBundle(again)).toBeDefined();
    rmSync(a);
    expect(freshBundle(again)).toBeUndefined();
  });

  it('is not used when there is none', () => {
    expect(freshBundle(pathToFileURL(`${join(dir.path, 'missing')}/`))).toBeUndefined();
  });

  it('is built from the CLI and everything it imports, and is what the CLI runs', async () => {
    // The test setup built it from these sources.
    const { sources } = JSON.parse(readFileSync(join(BUNDLE_DIR, 'sources.json'), 'utf8')) as { sources: { path: string }[] };
    const paths = sources.map((s) => s.path);
    expect(paths).toContain(join(BUNDLE_DIR, '..', '..', 'bin', 'cli.ts'));
    expect(paths).toContain(join(BUNDLE_DIR, '..', '..', 'marketplace', 'schema', 'migrate.ts'));
    expect(existsSync(join(BUNDLE_DIR, 'cli.js'))).toBe(true);
    // Change capture's thread loads its own entry, found beside the chunks.
    expect(paths).toContain(join(BUNDLE_DIR, '..', '..', 'pipelines', 'cdc', 'thread', 'reader-thread.ts'));
    expect(existsSync(join(BUNDLE_DIR, 'cdc-reader-thread.js'))).toBe(true);
    const version = await runCli(['--version']);
    expect(version.stdout).toMatch(/running from its bundle\)$/m);
    const fromSources = await runCli(['--version'], { STEVESLIST_FROM_SOURCES: '1' });
    expect(fromSources.stdout).toMatch(/running from its TypeScript sources\)$/m);
  });
});
