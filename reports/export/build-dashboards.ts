// Rebuilds the dashboards: the warehouse's numbers exported to Parquet, then Evidence's own build
// (`evidence sources` and `evidence build`, in the reports project with its own dependencies).
// A build takes minutes, so it is skipped when nothing it reads changed since the last one.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EnvironmentError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import type { ClickHouseClient } from '../../warehouse/client.js';
import { exportDashboardData } from './export-marts.js';

export const REPORTS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');
/** Where the export writes and the `warehouse` source reads. */
export const DASHBOARD_DATA_DIR = join(REPORTS_DIR, 'sources', 'warehouse');
/** Beside the built site: the fingerprint of what it was built from. */
const INPUTS_FILE = '.inputs-sha256';
/** What a build reads, besides Evidence itself (pinned by the lock file, patched by patches/). */
const INPUTS = ['pages', 'sources', 'patches', 'evidence.config.yaml', 'package-lock.json'];

function filesUnder(path: string): string[] {
  if (!existsSync(path)) return [];
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path).sort().flatMap((name) => (name.endsWith('.partial') ? [] : filesUnder(join(path, name))));
}

/** One hash over the names and contents of every file a build reads. */
export function buildInputsHash(dir: string): string {
  const hash = createHash('sha256');
  for (const file of INPUTS.flatMap((input) => filesUnder(join(dir, input)))) {
    hash.update(`${relative(dir, file)}\0`).update(readFileSync(file)).update('\0');
  }
  return hash.digest('hex');
}

/**
 * Evidence copies each build over the last one (its output is `.evidence/template/build`), so the
 * data and script files of every earlier build would pile up in reports/build: drop those.
 */
function pruneEarlierBuilds(dir: string): void {
  const built = join(dir, 'build');
  const fresh = join(dir, '.evidence', 'template', 'build');
  if (!existsSync(join(fresh, 'index.html'))) return;
  for (const file of filesUnder(built)) {
    if (!existsSync(join(fresh, relative(built, file)))) rmSync(file);
  }
  const removeEmpty = (folder: string): void => {
    for (const name of readdirSync(folder)) if (statSync(join(folder, name)).isDirectory()) removeEmpty(join(folder, name));
    if (folder !== built && readdirSync(folder).length === 0) rmSync(folder, { recursive: true });
  };
  removeEmpty(built);
}

function run(command: string, args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_ENV: 'production' } });
    let output = '';
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-4000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} failed (exit ${code}):\n${output}`))));
  });
}

/** Exports the dashboards' data from `warehouse` and builds the site into reports/build; returns a summary line. */
/** Lends a warehouse client for `work` and takes it back after. */
export type WarehouseLender = <T>(work: (client: ClickHouseClient) => Promise<T>) => Promise<T>;

/**
 * `warehouse` is a client, or lends one for the export alone: the build that follows takes a minute
 * or more, and a warehouse folder held that long keeps its owner (a restarting platform) from it.
 */
export async function refreshDashboards(options: { warehouse: ClickHouseClient | WarehouseLender; log: Logger; reportsDir?: string }): Promise<string> {
  const dir = options.reportsDir ?? REPORTS_DIR;
  const evidence = join(dir, 'node_modules', '.bin', 'evidence');
  if (!existsSync(evidence)) throw new EnvironmentError('the dashboards need their own install once: npm run reports:install');
  const started = Date.now();
  const exportTo = (client: ClickHouseClient) => exportDashboardData(client, join(dir, 'sources', 'warehouse'));
  const rows = typeof options.warehouse === 'function' ? await options.warehouse(exportTo) : await exportTo(options.warehouse);
  const total = Object.values(rows).reduce((a, b) => a + b, 0);
  const inputs = buildInputsHash(dir);
  const marker = join(dir, 'build', INPUTS_FILE);
  if (existsSync(join(dir, 'build', 'index.html')) && existsSync(marker) && readFileSync(marker, 'utf8') === inputs) {
    const summary = `dashboards unchanged (${total} exported rows), the last build kept`;
    options.log.info({ rows }, summary);
    return summary;
  }
  // A build that fails halfway must not pass for the inputs' build next time.
  rmSync(marker, { force: true });
  // --strict: a query that fails stops the build; without it Evidence logs the error, exits 0 and
  // builds the site from the previous run's data.
  await run(evidence, ['sources', '--strict'], dir);
  await run(evidence, ['build'], dir);
  pruneEarlierBuilds(dir);
  writeFileSync(marker, inputs);
  const summary = `dashboards rebuilt from ${total} exported rows in ${Math.round((Date.now() - started) / 1000)} s`;
  options.log.info({ rows }, summary);
  return summary;
}
