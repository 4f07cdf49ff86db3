// Where local commands that need the embedded bus (`steveslist dlq`) reach the process that owns
// it: that process's admin service and a secret for it, in a 0600 file beside the bus folder
// while it runs. Without the file (or with one a killed process left), they open the bus themselves.
import { readServedFile, removeServedFile, writeServedFile, type ServedFile } from '../../../core/served-file.js';

export interface BusOwner extends ServedFile {
  /** The owner's admin service, e.g. http://127.0.0.1:8081. */
  admin: string;
  /** Accepted from loopback on the routes local commands use (Authorization: Bearer). */
  secret: string;
}

export const busOwnerFileOf = (busDir: string) => `${busDir}.owner.json`;

export function writeBusOwner(busDir: string, owner: BusOwner): void {
  writeServedFile(busOwnerFileOf(busDir), owner);
}

export function removeBusOwner(busDir: string, pid = process.pid): void {
  removeServedFile(busOwnerFileOf(busDir), pid);
}

/** The live process that owns the bus folder and serves local commands; undefined when none. */
export function readBusOwner(busDir: string): BusOwner | undefined {
  return readServedFile<BusOwner>(busOwnerFileOf(busDir));
}
