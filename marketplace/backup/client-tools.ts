// The MariaDB/MySQL client programs a backup needs, and a credentials file for them: passwords
// go in a 0600 file read with --defaults-extra-file, never on a command line that `ps` shows.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { EnvironmentError, PlatformError } from '../../core/errors.js';
import { parseMysqlUrl } from '../mysql/connection.js';
import { findTool } from '../mysql/server-binary.js';

const TOOLS = {
  dump: ['mariadb-dump', 'mysqldump'],
  client: ['mariadb', 'mysql'],
  binlog: ['mariadb-binlog', 'mysqlbinlog'],
} as const;

export type ClientTool = keyof typeof TOOLS;

export function toolPath(tool: ClientTool): string {
  const found = findTool(TOOLS[tool]);
  if (!found) throw new EnvironmentError(`backups need ${TOOLS[tool].join(' or ')} (Debian: apt-get install -y mariadb-client)`);
  return found;
}

export interface Credentials {
  /** --defaults-extra-file=<path>: must be the tool's first argument. */
  option: string;
  database: string;
  remove(): void;
}

/** Writes the URL's connection settings to a private file for the client tools. */
export function credentialsFor(url: string): Credentials {
  const target = parseMysqlUrl(url);
  const dir = mkdtempSync(join(tmpdir(), 'steveslist-credentials-'));
  const file = join(dir, 'client.cnf');
  const quote = (value: string) => `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  writeFileSync(file, `[client]\nhost=${target.host}\nport=${target.port}\nuser=${quote(target.user)}\npassword=${quote(target.password)}\nprotocol=TCP\n`, { mode: 0o600 });
  return { option: `--defaults-extra-file=${file}`, database: target.database, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A client tool's failure, with what it printed on stderr (its own words say what went wrong). */
export class ToolFailed extends PlatformError {
  readonly code = 'TOOL_FAILED';
  readonly retriable = false;
}

export interface ToolRun {
  stdout: Readable;
  stdin: Writable;
  /** Resolves when the tool exits 0; rejects with its stderr otherwise. */
  done: Promise<void>;
}

/** The tool's own error line (ERROR 2006 ...), or its last words; never pages of echoed input. */
function toolMessage(stderr: string): string {
  const lines = stderr.trim().split('\n').filter(Boolean);
  const errors = lines.filter((line) => /^(ERROR|mariadb|mysql|mariadb-dump|mysqldump|mariadb-binlog|mysqlbinlog)\b/i.test(line));
  return (errors.length > 0 ? errors : lines).slice(-3).map((line) => (line.length > 300 ? `${line.slice(0, 300)}...` : line)).join(' / ') || 'no message';
}

/** Starts a client tool; its environment's TZ is UTC so dates on its command line mean UTC. */
export function runTool(tool: ClientTool, args: string[], options: { stdin?: 'pipe' | 'ignore' } = {}): ToolRun {
  const path = toolPath(tool);
  const child = spawn(path, args, { stdio: [options.stdin ?? 'ignore', 'pipe', 'pipe'], env: { ...process.env, TZ: 'UTC' } });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    if (stderr.length < 10_000) stderr += chunk.toString();
  });
  const done = new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new ToolFailed(`${path.split('/').pop()} failed (${signal ?? `exit ${code}`}): ${toolMessage(stderr)}`));
    });
  });
  return { stdout: child.stdout!, stdin: child.stdin!, done };
}
