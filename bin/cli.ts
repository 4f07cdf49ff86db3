// Dispatches `steveslist <command>` and turns every expected failure into one line on stderr.
import { readFileSync } from 'node:fs';
import { loadConfig } from '../core/config/index.js';
import { ConfigError, PlatformError, UsageError } from '../core/errors.js';
import { createLogger } from '../core/log.js';
import type { Command } from './command.js';
import { commandHelp } from './command-help.js';
import { adminCommand } from './commands/admin.js';
import { analystCommand } from './commands/analyst.js';
import { backupCommand } from './commands/backup.js';
import { cdcCommand } from './commands/cdc.js';
import { configCommand } from './commands/config.js';
import { dlqCommand } from './commands/dlq.js';
import { jobsCommand } from './commands/jobs.js';
import { migrateCommand } from './commands/migrate.js';
import { schedulerCommand } from './commands/scheduler.js';
import { searchCommand } from './commands/search.js';
import { serveCommand } from './commands/serve.js';
import { seedCommand } from './commands/seed.js';
import { simulateCommand } from './commands/simulate.js';
import { sqlCommand } from './commands/sql.js';
import { upCommand } from './commands/up.js';
import { warehouseCommand } from './commands/warehouse.js';
import { webhooksCommand } from './commands/webhooks.js';
import { workerCommand } from './commands/worker.js';
import { projectPath } from '../core/project-root.js';

export const COMMANDS: Record<string, Command> = {
  up: upCommand,
  cdc: cdcCommand,
  worker: workerCommand,
  serve: serveCommand,
  migrate: migrateCommand,
  seed: seedCommand,
  simulate: simulateCommand,
  search: searchCommand,
  sql: sqlCommand,
  analyst: analystCommand,
  warehouse: warehouseCommand,
  dlq: dlqCommand,
  scheduler: schedulerCommand,
  backup: backupCommand,
  jobs: jobsCommand,
  webhooks: webhooksCommand,
  admin: adminCommand,
  config: configCommand,
};

function help(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  return [
    'usage: steveslist <command> [options]',
    '',
    ...Object.entries(COMMANDS).map(([name, command]) => `  ${name.padEnd(width)}  ${command.summary}`),
    '',
    'Run `steveslist help <command>` (or `steveslist <command> --help`) for its options and an example;',
    '`steveslist --version` for the version. Settings come from environment variables (and .env); see README.md.',
  ].join('\n');
}

function version(): string {
  const manifest = JSON.parse(readFileSync(projectPath('package.json'), 'utf8')) as { version: string };
  const from = process.env.STEVESLIST_RUNS_FROM === 'bundle' ? 'its bundle' : 'its TypeScript sources';
  return `steveslist ${manifest.version} (Node ${process.versions.node}, running from ${from})`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === '--version' || name === '-v') {
    process.stdout.write(`${version()}\n`);
    return 0;
  }
  if (name === 'help' && args.length > 0) {
    const about = COMMANDS[args[0]!];
    if (!about) {
      process.stderr.write(`steveslist: no command "${args[0]}"; the commands are: ${Object.keys(COMMANDS).join(', ')}\n`);
      return 2;
    }
    process.stdout.write(`${commandHelp(about)}\n`);
    return 0;
  }
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(`${help()}\n`);
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`steveslist: unknown command "${name}"\n\n${help()}\n`);
    return 2;
  }
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(`${commandHelp(command)}\n`);
    return 0;
  }

  const cleanups: (() => Promise<void>)[] = [];
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) process.exit(130);
    interrupted = true;
    process.stderr.write(`\nsteveslist: ${signal}, stopping (again to force)\n`);
    // Last registered first, like unwinding: later resources depend on earlier ones.
    void (async () => {
      for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
      process.exit(130);
    })();
  };
  if (!command.longRunning) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }

  try {
    const config = loadConfig(process.env, { tty: process.stdout.isTTY === true });
    const log = createLogger(config.log);
    return (await command.run({ config, log, args, onInterrupt: (cleanup) => cleanups.push(cleanup) })) ?? 0;
  } catch (error) {
    if (error instanceof PlatformError) {
      process.stderr.write(`steveslist: ${error.message}\n`);
      return error instanceof ConfigError || error instanceof UsageError ? 2 : 1;
    }
    throw error;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
