// Where local commands find the running warehouse: the owner of the chDB folder writes its URL and
// the platform users' passwords beside the folder (mode 0600) while it serves, and removes them after.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { isAlive } from '../../core/process-control.js';

export interface ServedWarehouse {
  url: string;
  pid: number;
  /** Read-write: the loader's, for backfills, marts and verification. */
  loader: { user: string; password: string };
  /** Read-only with the analyst's rules: for `steveslist sql`. */
  analyst: { user: string; password: string };
}

export const servedFileOf = (warehouseDir: string) => `${warehouseDir}.served.json`;

export function writeServedWarehouse(warehouseDir: string, served: ServedWarehouse): void {
  writeFileSync(servedFileOf(warehouseDir), `${JSON.stringify(served, null, 2)}\n`, { mode: 0o600 });
}

export function removeServedWarehouse(warehouseDir: string, pid = process.pid): void {
  const current = readServedWarehouse(warehouseDir);
  if (current?.pid === pid) rmSync(servedFileOf(warehouseDir), { force: true });
}

/** The warehouse a live process serves from this folder; undefined when none (a file left by a killed process does not count). */
export function readServedWarehouse(warehouseDir: string): ServedWarehouse | undefined {
  const file = servedFileOf(warehouseDir);
  if (!existsSync(file)) return undefined;
  try {
    const served = JSON.parse(readFileSync(file, 'utf8')) as ServedWarehouse;
    return isAlive(served.pid) ? served : undefined;
  } catch {
    return undefined;
  }
}
