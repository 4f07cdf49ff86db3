// Rebuilds the dashboards while the platform runs: the warehouse's numbers exported to Parquet, then
// Evidence's own build (`evidence sources` and `evidence build`, in the reports project with its own
// dependencies) into a new folder, and the served site switched to it in one step. A build takes
// a minute or two, so it is skipped when nothing it reads changed since the last one, and only one
// runs at a time (a second caller is told so and returns).
//
// Everything a build writes lives in the dashboards folder under DATA_DIR, never in the checkout:
// Evidence builds in a working copy of the project there (its node_modules linked, not copied), so
// two platforms started from one checkout with their own data folders build and serve their own.
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { EnvironmentError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { projectPath } from '../../core/project-root.js';
import type { ClickHouseClient } from '../../warehouse/client.js';
import { buildsDir, readBuildStatus, takeBuildLock, writeBuildStatus, type BuildStage, type DashboardBuildStatus } from './build-status.js';
import { DATA_AS_OF } from './data-as-of.js';
import { exportDashboardData } from './export-marts.js';
import { runInGroup } from './run-in-group.js';

/** The reports project in the checkout: pages, sources, config and Evidence's install. Only read. */
export const REPORTS_DIR = projectPath('reports');
/** Where the dashboards are built and served from, under the platform's data folder. */
export const dashboardsDirOf = (dataDir: string) => join(dataDir, 'dashboards');
/** The served site: a symbolic link to the newest finished build under builds/, replaced in one rename. */
export const siteDir = (dashboardsDir: string) => join(dashboardsDir, 'site');
/** The working copy of the reports project that Evidence builds in (and writes .evidence/ into). */
export const projectCopyDir = (dashboardsDir: string) => join(dashboardsDir, 'project');
/** Inside each build folder: the fingerprint of what it was built from. */
const INPUTS_FILE = '.inputs-sha256';
/** What a build reads, besides Evidence itself (pinned by the lock file, patched by patches/). */
const INPUTS = ['pages', 'components', 'static', 'partials', 'sources', 'patches', 'evidence.config.yaml', 'package-lock.json'];
/** The pages' dates change with every mart refresh; leaving them out lets an unchanged warehouse keep its build. */
const NOT_INPUTS = new Set([`${DATA_AS_OF}.parquet`]);
/** The project's own build state and dependencies: never copied into the working copy. */
const NOT_COPIED = new Set(['node_modules', '.evidence', 'build', 'builds', 'site', 'site.partial']);

/**
 * Refreshes the working copy from the project: its files replaced, Evidence's own folder
 * (.evidence, which makes later builds quicker) and the link to the project's node_modules kept.
 */
function syncProjectCopy(projectDir: string, copy: string): void {
  mkdirSync(copy, { recursive: true });
  for (const name of readdirSync(copy)) if (name !== '.evidence' && name !== 'node_modules') rmSync(join(copy, name), { recursive: true, force: true });
  cpSync(projectDir, copy, {
    recursive: true,
    filter: (path) => !(relative(projectDir, path).split(/[/\\]/).length === 1 && NOT_COPIED.has(basename(path))) && !/\.(parquet|partial)$/.test(path),
  });
  const modules = join(copy, 'node_modules');
  if (!existsSync(modules)) symlinkSync(join(projectDir, 'node_modules'), modules);
}

function filesUnder(path: string): string[] {
  if (!existsSync(path)) return [];
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path).sort().flatMap((name) => (name.endsWith('.partial') || NOT_INPUTS.has(name) ? [] : filesUnder(join(path, name))));
}

/** One hash over the names and contents of every file a build reads. */
export function buildInputsHash(dir: string): string {
  const hash = createHash('sha256');
  for (const file of INPUTS.flatMap((input) => filesUnder(join(dir, input)))) {
    hash.update(`${relative(dir, file)}\0`).update(readFileSync(file)).update('\0');
  }
  return hash.digest('hex');
}

/** An Evidence step, in a process group that ends with this process (see run-in-group.ts). */
const run = (command: string, args: string[], cwd: string, signal?: AbortSignal) =>
  runInGroup(command, args, cwd, { signal, env: { ...process.env, NODE_ENV: 'production' } });

/** The build folder the site points at now, if any. */
function currentBuild(dir: string): string | undefined {
  try {
    return join(dir, readlinkSync(siteDir(dir)));
  } catch {
    return undefined;
  }
}

/** Points the site at `build` in one rename (a reader gets the old site or the new, never a mix). */
function switchSite(dir: string, build: string): void {
  const link = siteDir(dir);
  const aside = `${link}.partial`;
  rmSync(aside, { force: true });
  symlinkSync(relative(dir, build), aside);
  renameSync(aside, link);
}

/** Keeps the served build and the one before it (a reader mid-page may still fetch its files). */
function pruneBuilds(dir: string, keep: readonly string[]): void {
  const builds = buildsDir(dir);
  const folders = readdirSync(builds).filter((name) => /^\d/.test(name) && statSync(join(builds, name)).isDirectory()).sort();
  const kept = new Set(keep.map((path) => relative(builds, path)));
  for (const name of folders.slice(0, -2)) if (!kept.has(name)) rmSync(join(builds, name), { recursive: true, force: true });
}

/** Lends a warehouse client for `work` and takes it back after. */
export type WarehouseLender = <T>(work: (client: ClickHouseClient) => Promise<T>) => Promise<T>;

export interface RefreshOptions {
  /** A client, or a lender of one for the export alone (the build after it does not need the warehouse). */
  warehouse: ClickHouseClient | WarehouseLender;
  log: Logger;
  /** Where builds, the served site, the status and the lock live (dashboardsDirOf(DATA_DIR)). */
  dashboardsDir: string;
  /** The reports project to build; default the checkout's reports/. */
  projectDir?: string;
  signal?: AbortSignal;
}

/**
 * Exports the dashboards' data and builds the site into builds/<time>, then switches site/ to it;
 * returns a summary line. Each stage is logged and written to the status file as it starts.
 */
export async function refreshDashboards(options: RefreshOptions): Promise<string> {
  const dir = options.dashboardsDir;
  const projectDir = options.projectDir ?? REPORTS_DIR;
  if (!existsSync(join(projectDir, 'node_modules', '.bin', 'evidence'))) throw new EnvironmentError('the dashboards need their own install once: npm run reports:install');
  const work = projectCopyDir(dir);
  const evidence = join(work, 'node_modules', '.bin', 'evidence');
  const release = takeBuildLock(dir);
  if (!release) {
    const building = readBuildStatus(dir).building;
    const summary = `a dashboards build is already running${building ? ` (since ${building.startedAt}, at ${building.stage})` : ''}; this one skipped`;
    options.log.info(summary);
    return summary;
  }
  const started = new Date();
  const previous = readBuildStatus(dir).last;
  const status: DashboardBuildStatus = { last: previous };
  const stage = (name: BuildStage, message: string) => {
    status.building = { pid: process.pid, startedAt: started.toISOString(), stage: name, stageStartedAt: new Date().toISOString() };
    writeBuildStatus(dir, status);
    options.log.info({ stage: name }, `dashboards: ${message}`);
  };
  const finish = (last: NonNullable<DashboardBuildStatus['last']>) => {
    writeBuildStatus(dir, { last });
  };
  try {
    stage('export', 'exporting the warehouse numbers');
    syncProjectCopy(projectDir, work);
    const exportTo = (client: ClickHouseClient) => exportDashboardData(client, join(work, 'sources', 'warehouse'), join(work, 'pages'), {
      waitingForMarts: (missing) => stage('export', `waiting for the warehouse to compute its marts (${missing.join(', ')})`),
    });
    const exported = typeof options.warehouse === 'function' ? await options.warehouse(exportTo) : await exportTo(options.warehouse);
    const total = Object.values(exported.rows).reduce((a, b) => a + b, 0);
    const inputs = buildInputsHash(work);
    const current = currentBuild(dir);
    if (current && existsSync(join(current, 'index.html')) && existsSync(join(current, INPUTS_FILE)) && readFileSync(join(current, INPUTS_FILE), 'utf8') === inputs) {
      const summary = `dashboards unchanged (${total} exported rows), the last build kept`;
      options.log.info({ rows: exported.rows }, summary);
      // The site still shows the export its build was made from: that is when its data was last new.
      finish({ outcome: 'unchanged', startedAt: started.toISOString(), finishedAt: new Date().toISOString(), dataAsOf: previous?.dataAsOf, exportedAt: previous?.exportedAt, summary });
      return summary;
    }
    // --strict: a query that fails stops the build; without it Evidence logs the error, exits 0 and
    // builds the site from the previous run's data.
    stage('sources', `${total} rows exported; loading them into Evidence (evidence sources)`);
    await run(evidence, ['sources', '--strict'], work, options.signal);
    stage('build', 'building the pages (evidence build)');
    await run(evidence, ['build'], work, options.signal);
    stage('switch', 'switching the served site to the new build');
    // Evidence copies its output to ./build as well; the copy under .evidence/ is moved, not copied again.
    const build = join(buildsDir(dir), started.toISOString().replace(/[:.]/g, '-'));
    mkdirSync(buildsDir(dir), { recursive: true });
    renameSync(join(work, '.evidence', 'template', 'build'), build);
    rmSync(join(work, 'build'), { recursive: true, force: true });
    writeFileSync(join(build, INPUTS_FILE), inputs);
    switchSite(dir, build);
    pruneBuilds(dir, [build, ...(current ? [current] : [])]);
    const summary = `dashboards rebuilt from ${total} exported rows in ${Math.round((Date.now() - started.getTime()) / 1000)} s`;
    options.log.info({ rows: exported.rows }, summary);
    const dated = exported.pages.flatMap((page) => (page.asOfMs === undefined ? [] : [page.asOfMs]));
    const dataAsOf = new Date(dated.length > 0 ? Math.min(...dated) : exported.at.getTime()).toISOString();
    finish({ outcome: 'built', startedAt: started.toISOString(), finishedAt: new Date().toISOString(), dataAsOf, exportedAt: exported.at.toISOString(), summary });
    return summary;
  } catch (error) {
    finish({ outcome: 'failed', startedAt: started.toISOString(), finishedAt: new Date().toISOString(), dataAsOf: previous?.dataAsOf, error: (error as Error).message.slice(0, 2000) });
    throw error;
  } finally {
    release();
  }
}
