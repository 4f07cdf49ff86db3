// How local commands find a service a running process offers them: the process writes where it
// listens and a secret for it into a file only its user can read (mode 0600), and removes the
// file when it stops. A file left by a killed process names a dead pid and so does not count.
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { isAlive } from './process-control.js';

export interface ServedFile {
  /** The serving process: the file counts only while it lives. */
  pid: number;
}

/** A secret for a served file: 256 random bits, URL-safe. */
export const localSecret = () => randomBytes(32).toString('base64url');

export function writeServedFile<T extends ServedFile>(file: string, served: T): void {
  // Written whole with the mode set at creation; an older file is replaced, never widened.
  rmSync(file, { force: true });
  writeFileSync(file, `${JSON.stringify(served, null, 2)}\n`, { mode: 0o600 });
}

/** What a live process serves; undefined when there is no file, it is unreadable, or its process is gone. */
export function readServedFile<T extends ServedFile>(file: string): T | undefined {
  let served: T;
  try {
    served = JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
  return Number.isInteger(served?.pid) && isAlive(served.pid) ? served : undefined;
}

/** Removes the file if `pid` wrote it: a process never removes what a newer owner wrote. */
export function removeServedFile(file: string, pid = process.pid): void {
  if (readServedFile(file)?.pid === pid) rmSync(file, { force: true });
}
