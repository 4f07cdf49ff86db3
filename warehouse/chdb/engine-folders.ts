// chDB's engine reads `file()` paths relative to user_files_path and runs `executable()` scripts
// from user_scripts_path, by default /var/lib/clickhouse/..., outside the warehouse. The engine is
// one per folder and process and takes these paths from the first session that starts it, so the
// process that owns the warehouse starts it here with both folders inside WAREHOUSE_DIR, empty.
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Session } from 'chdb';
import { EnvironmentError } from '../../core/errors.js';
import { folderError } from './folder-error.js';
import { chdb } from './native.js';

export const ENGINE_FOLDERS = ['user_files', 'user_scripts'] as const;

/**
 * Starts chDB's engine for `dir` with its user_files and user_scripts folders in `dir`, then runs
 * `open` (which opens the sessions the process keeps): the engine lives while one of them is open.
 * Started earlier by a session without these folders, the engine keeps its own (chDB ignores the
 * arguments of later sessions).
 */
export function withWarehouseEngine<T>(dir: string, open: () => T): T {
  const args: string[] = [];
  for (const name of ENGINE_FOLDERS) {
    const folder = join(dir, name);
    mkdirSync(folder, { recursive: true, mode: 0o700 });
    const inside = readdirSync(folder);
    if (inside.length > 0) {
      throw new EnvironmentError(`WAREHOUSE_DIR: ${folder} holds ${inside.length} file(s) (${inside.slice(0, 3).join(', ')}); the warehouse's ${name} folder stays empty, so nothing there is within a query's reach: move them out`);
    }
    args.push(`--${name}_path=${folder}/`);
  }
  let starter: Session;
  try {
    starter = new (chdb().Session)(dir, { connectionArgs: args });
  } catch (error) {
    throw folderError(dir, error);
  }
  try {
    return open();
  } finally {
    starter.close();
  }
}
