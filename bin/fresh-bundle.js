// Plain JavaScript: it runs before anything can load TypeScript.
import { readFileSync, statSync } from 'node:fs';

/**
 * The entry of the bundle in `dir` (a URL ending in /) when it is there and every source file it
 * was built from is unchanged; undefined otherwise (no bundle, an edited or removed source).
 */
export function freshBundle(dir) {
  try {
    const { sources } = JSON.parse(readFileSync(new URL('sources.json', dir), 'utf8'));
    for (const source of sources) {
      if (statSync(source.path).mtimeMs !== source.mtimeMs) return undefined;
    }
    return new URL('cli.js', dir).href;
  } catch {
    return undefined;
  }
}
