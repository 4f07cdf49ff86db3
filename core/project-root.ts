// The checkout's root folder, found from this file's place by looking for the project's
// package.json. Files the platform ships beside its code (migrations, the built web app and staff
// console, the dashboards project) are found from it, so they are found the same way whether the
// code runs from its TypeScript sources or from the bundle `npm install` builds (whose modules
// live in another folder).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE_NAME = 'steveslist-data-platform';

function findRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === PACKAGE_NAME) return dir;
    if (dirname(dir) === dir) throw new Error(`no ${PACKAGE_NAME} package.json above ${from}: the platform's files are not where its code is`);
  }
}

export const PROJECT_ROOT = findRoot(dirname(fileURLToPath(import.meta.url)));

/** A path inside the checkout, from its root. */
export function projectPath(...parts: string[]): string {
  return join(PROJECT_ROOT, ...parts);
}
