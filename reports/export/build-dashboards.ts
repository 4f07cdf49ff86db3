// Rebuilds the dashboards: the warehouse's numbers exported to CSV, then Evidence's own build
// (`evidence sources && evidence build`, in the reports project with its own dependencies).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EnvironmentError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import type { ClickHouseClient } from '../../warehouse/client.js';
import { exportDashboardData } from './export-marts.js';

export const REPORTS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');

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

export async function refreshDashboards(options: { warehouse: ClickHouseClient; log: Logger; reportsDir?: string }): Promise<string> {
  const dir = options.reportsDir ?? REPORTS_DIR;
  const evidence = join(dir, 'node_modules', '.bin', 'evidence');
  if (!existsSync(evidence)) throw new EnvironmentError('the dashboards need their own install once: npm run reports:install');
  const started = Date.now();
  const rows = await exportDashboardData(options.warehouse, join(dir, 'sources', 'warehouse'));
  await run(evidence, ['sources'], dir);
  await run(evidence, ['build'], dir);
  const summary = `dashboards rebuilt from ${Object.values(rows).reduce((a, b) => a + b, 0)} exported rows in ${Math.round((Date.now() - started) / 1000)} s`;
  options.log.info({ rows }, summary);
  return summary;
}
