import { join } from 'node:path';
import { withDotEnv } from './dotenv.js';
import { SettingsReader } from './settings-reader.js';

export { redactUrl } from './redact-url.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export type LogFormat = 'pretty' | 'json';

/** The platform's whole configuration, read once at start-up. Paths are absolute. */
export interface Config {
  /** Where everything the one-machine mode keeps on disk lives. */
  dataDir: string;
  mysql: {
    /** An existing server to use; undefined means "run a private MariaDB". */
    url: string | undefined;
    /** Datadir of the private MariaDB. */
    dataDir: string;
    /** Port of the private MariaDB; undefined takes a free one. */
    port: number | undefined;
  };
  http: { host: string; port: number };
  log: { level: LogLevel; format: LogFormat };
}

export interface LoadConfigOptions {
  cwd?: string;
  /** Whether stdout is a terminal; decides the default log format. */
  tty?: boolean;
  /** Read `<cwd>/.env` (default true). */
  dotEnv?: boolean;
}

/** Every setting the platform reads, so the README and `steveslist config` can list them. */
export function readConfig(env: NodeJS.ProcessEnv, options: LoadConfigOptions = {}): { config: Config; names: string[] } {
  const cwd = options.cwd ?? process.cwd();
  const source = options.dotEnv === false ? env : withDotEnv(env, join(cwd, '.env'));
  const r = new SettingsReader(source, cwd);

  const dataDir = r.path('DATA_DIR', '.data');
  const config: Config = {
    dataDir,
    mysql: {
      url: r.mysqlUrl('MYSQL_URL'),
      dataDir: r.optionalPath('MYSQL_DATA_DIR') ?? join(dataDir, 'mysql'),
      port: r.optionalPort('MYSQL_PORT'),
    },
    http: {
      host: r.string('HOST', '127.0.0.1'),
      port: r.port('PORT', 3000),
    },
    log: {
      level: r.oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
      format: r.oneOf<LogFormat>('LOG_FORMAT', ['pretty', 'json'], options.tty ? 'pretty' : 'json'),
    },
  };
  r.finish();
  return { config, names: r.names };
}

/** Reads and validates the configuration; throws a ConfigError listing every problem. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, options: LoadConfigOptions = {}): Config {
  return readConfig(env, options).config;
}
