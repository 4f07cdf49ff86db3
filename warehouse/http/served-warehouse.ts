// Where local commands find the running warehouse: the owner of the chDB folder writes its URL and
// the platform users' passwords beside the folder (mode 0600) while it serves, and removes them after.
import { readServedFile, removeServedFile, writeServedFile, type ServedFile } from '../../core/served-file.js';

export interface ServedWarehouse extends ServedFile {
  url: string;
  /** Read-write: the loader's, for backfills, marts and verification. */
  loader: { user: string; password: string };
  /** Read-only with the analyst's rules: for `steveslist sql`. */
  analyst: { user: string; password: string };
}

export const servedFileOf = (warehouseDir: string) => `${warehouseDir}.served.json`;

export const writeServedWarehouse = (warehouseDir: string, served: ServedWarehouse) => writeServedFile(servedFileOf(warehouseDir), served);

export const removeServedWarehouse = (warehouseDir: string, pid = process.pid) => removeServedFile(servedFileOf(warehouseDir), pid);

/** The warehouse a live process serves from this folder; undefined when none (a file left by a killed process does not count). */
export const readServedWarehouse = (warehouseDir: string) => readServedFile<ServedWarehouse>(servedFileOf(warehouseDir));
