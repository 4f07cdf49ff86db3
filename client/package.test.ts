// The package as its consumers meet it: entries that exist, and a main entry a browser can
// bundle, with no node: module anywhere in its import graph; and nothing of the platform imported.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = dirname(fileURLToPath(import.meta.url));
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name: string; type: string; exports: Record<string, Record<string, string> | string> };

/** Every file reachable from `entry` by relative imports, and every other module named on the way. */
function importGraph(entry: string): { files: string[]; external: string[] } {
  const files = new Set<string>();
  const external = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    for (const { fileName: specifier } of ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles) {
      if (specifier.startsWith('.')) visit(resolve(dirname(file), specifier.replace(/\.js$/, '.ts')));
      else external.add(specifier);
    }
  };
  visit(entry);
  return { files: [...files], external: [...external] };
}

describe('@steveslist/client as a package', () => {
  it('is an ES module package whose entries exist in source form', () => {
    expect(manifest).toMatchObject({ name: '@steveslist/client', type: 'module' });
    for (const [entry, target] of Object.entries(manifest.exports)) {
      const source = typeof target === 'string' ? target : target.source!;
      expect(existsSync(join(root, source)), `${entry} → ${source}`).toBe(true);
    }
  });

  it('imports nothing but its own files from the main entry, so browsers can bundle it', () => {
    const { files, external } = importGraph(join(root, 'index.ts'));
    expect(files.length).toBeGreaterThan(5);
    expect(external).toEqual([]);
    expect(files.some((file) => file.endsWith('webhooks.ts'))).toBe(false);
  });

  it('keeps node:crypto to the webhooks entry', () => {
    const { external } = importGraph(join(root, 'webhooks.ts'));
    expect(external).toEqual(['node:crypto']);
  });

  it('imports no file outside its own folder (it is its own package), tests included', () => {
    const sources = readdirSync(root, { recursive: true, encoding: 'utf8' })
      .filter((name) => name.endsWith('.ts') && !name.startsWith('dist') && !name.includes('node_modules'));
    expect(sources.length).toBeGreaterThan(10);
    const outside = sources.flatMap((name) => ts.preProcessFile(readFileSync(join(root, name), 'utf8'), true, true).importedFiles
      .map(({ fileName }) => fileName)
      .filter((specifier) => specifier.startsWith('.') && relative(root, resolve(dirname(join(root, name)), specifier)).startsWith('..'))
      .map((specifier) => `${name} -> ${specifier}`));
    expect(outside).toEqual([]);
  });
});
