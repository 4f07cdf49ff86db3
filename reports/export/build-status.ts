// What the dashboards' builder is doing and what it last did, kept in a small file beside the
// builds so any process (the platform, `steveslist jobs run`, the admin service) reads the same
// answer; and the lock that keeps two builds from running at once (they share .evidence/).
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export type BuildStage = 'export' | 'sources' | 'build' | 'switch';

export interface DashboardBuildStatus {
  /** The build under way, if any. */
  building?: { pid: number; startedAt: string; stage: BuildStage; stageStartedAt: string };
  /** The last build that finished, whatever its outcome. */
  last?: {
    outcome: 'built' | 'unchanged' | 'failed';
    startedAt: string;
    finishedAt: string;
    /** When the data the served site shows was exported from the warehouse ("data as of"). */
    dataAsOf?: string;
    summary?: string;
    error?: string;
  };
}

export const buildsDir = (reportsDir: string) => join(reportsDir, 'builds');
const statusFile = (reportsDir: string) => join(buildsDir(reportsDir), 'status.json');
const lockFile = (reportsDir: string) => join(buildsDir(reportsDir), '.lock');

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function readBuildStatus(reportsDir: string): DashboardBuildStatus {
  let status: DashboardBuildStatus = {};
  try {
    status = JSON.parse(readFileSync(statusFile(reportsDir), 'utf8')) as DashboardBuildStatus;
  } catch {
    return {};
  }
  // A builder that died mid-build left its stage behind: it is not building any more.
  if (status.building && !processAlive(status.building.pid)) delete status.building;
  return status;
}

/** Replaces the status file whole (write aside, then rename), so a reader never sees half of it. */
export function writeBuildStatus(reportsDir: string, status: DashboardBuildStatus): void {
  mkdirSync(buildsDir(reportsDir), { recursive: true });
  const file = statusFile(reportsDir);
  writeFileSync(`${file}.partial`, `${JSON.stringify(status, null, 2)}\n`);
  renameSync(`${file}.partial`, file);
}

/**
 * Takes the build lock; returns its release, or undefined when another live process holds it.
 * The lock is a file made with O_EXCL holding the holder's pid; a dead holder's lock is taken over.
 */
export function takeBuildLock(reportsDir: string): (() => void) | undefined {
  mkdirSync(buildsDir(reportsDir), { recursive: true });
  const file = lockFile(reportsDir);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeFileSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(file, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number(existsSync(file) ? readFileSync(file, 'utf8') : NaN);
      if (Number.isInteger(holder) && holder > 0 && processAlive(holder)) return undefined;
      rmSync(file, { force: true });
    }
  }
  return undefined;
}
