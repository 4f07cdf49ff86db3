// What the dashboards' builder is doing and what it last did, kept in a small file beside the
// builds (under the data folder) so any process (the platform, `steveslist jobs run`, the admin
// service) reads the same answer; and the lock that keeps two builds from running at once (they
// share one working copy of the project).
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
    /** The oldest "data as of" of the served site's pages: its marts' oldest refresh, or the export for raw tables. */
    dataAsOf?: string;
    /** When the served site's data was exported from the warehouse. */
    exportedAt?: string;
    summary?: string;
    error?: string;
  };
}

export const buildsDir = (dashboardsDir: string) => join(dashboardsDir, 'builds');
const statusFile = (dashboardsDir: string) => join(buildsDir(dashboardsDir), 'status.json');
const lockFile = (dashboardsDir: string) => join(buildsDir(dashboardsDir), '.lock');

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function readBuildStatus(dashboardsDir: string): DashboardBuildStatus {
  let status: DashboardBuildStatus = {};
  try {
    status = JSON.parse(readFileSync(statusFile(dashboardsDir), 'utf8')) as DashboardBuildStatus;
  } catch {
    return {};
  }
  // A builder that died mid-build left its stage behind: it is not building any more.
  if (status.building && !processAlive(status.building.pid)) delete status.building;
  return status;
}

/** Replaces the status file whole (write aside, then rename), so a reader never sees half of it. */
export function writeBuildStatus(dashboardsDir: string, status: DashboardBuildStatus): void {
  mkdirSync(buildsDir(dashboardsDir), { recursive: true });
  const file = statusFile(dashboardsDir);
  writeFileSync(`${file}.partial`, `${JSON.stringify(status, null, 2)}\n`);
  renameSync(`${file}.partial`, file);
}

/**
 * Takes the build lock; returns its release, or undefined when another live process holds it.
 * The lock is a file made with O_EXCL holding the holder's pid; a dead holder's lock is taken over.
 */
export function takeBuildLock(dashboardsDir: string): (() => void) | undefined {
  mkdirSync(buildsDir(dashboardsDir), { recursive: true });
  const file = lockFile(dashboardsDir);
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
