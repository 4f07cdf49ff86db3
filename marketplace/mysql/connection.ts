// One place that turns a MYSQL_URL into mysql2 options, so every connection agrees on how
// values come back: exact DECIMAL and 64-bit integers as strings, DATETIME(6) as text in UTC.
import mysql, { type Connection, type Pool, type PoolOptions } from 'mysql2/promise';
import { redactUrl } from '../../core/config/index.js';
import { EnvironmentError, PlatformError, ServiceUnavailable } from '../../core/errors.js';

export type { Connection, Pool, PoolConnection, ResultSetHeader, RowDataPacket } from 'mysql2/promise';

export interface MysqlTarget {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
}

export function parseMysqlUrl(url: string): MysqlTarget {
  const parsed = new URL(url);
  return {
    host: parsed.hostname.replace(/^\[|\]$/g, ''),
    port: parsed.port ? Number(parsed.port) : 3306,
    user: decodeURIComponent(parsed.username),
    password: decodeURIComponent(parsed.password),
    database: decodeURIComponent(parsed.pathname.replace(/^\//, '')),
  };
}

export function formatMysqlUrl(target: MysqlTarget): string {
  const auth = `${encodeURIComponent(target.user)}${target.password ? `:${encodeURIComponent(target.password)}` : ''}`;
  return `mysql://${auth}@${target.host}:${target.port}/${encodeURIComponent(target.database)}`;
}

/** The same server and credentials, another database. */
export function withDatabase(url: string, database: string): string {
  return formatMysqlUrl({ ...parseMysqlUrl(url), database });
}

export interface ConnectOptions {
  /** Connect without selecting the URL's database (to create it). */
  noDatabase?: boolean;
  multipleStatements?: boolean;
  connectionLimit?: number;
  /**
   * Values as change capture represents them: 64-bit integers as numbers when they fit in 2^53
   * (as the binlog decoder returns them) and JSON columns as their text.
   */
  cdcValues?: boolean;
}

export function connectionOptions(url: string, options: ConnectOptions = {}): PoolOptions {
  const target = parseMysqlUrl(url);
  return {
    host: target.host,
    port: target.port,
    user: target.user,
    password: target.password,
    database: options.noDatabase ? undefined : target.database,
    charset: 'utf8mb4_unicode_ci',
    timezone: 'Z',
    dateStrings: true,
    supportBigNumbers: true,
    bigNumberStrings: !options.cdcValues,
    jsonStrings: options.cdcValues ?? false,
    decimalNumbers: false,
    multipleStatements: options.multipleStatements ?? false,
    connectionLimit: options.connectionLimit ?? 10,
    connectTimeout: 10_000,
  };
}

/** Maps a driver error met while connecting to one line that names MYSQL_URL and the fix. */
export function describeConnectError(error: unknown, url: string): PlatformError {
  if (error instanceof PlatformError) return error;
  const e = error as { code?: string; message?: string };
  const where = redactUrl(url);
  switch (e.code) {
    case 'ECONNREFUSED':
      return new ServiceUnavailable(`MYSQL_URL: nothing accepts connections at ${where} (connection refused); is the server running?`, { cause: error });
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new EnvironmentError(`MYSQL_URL: unknown host in ${where}`, { cause: error });
    case 'ETIMEDOUT':
      return new ServiceUnavailable(`MYSQL_URL: timed out connecting to ${where}`, { cause: error });
    case 'ER_ACCESS_DENIED_ERROR':
    case 'ER_DBACCESS_DENIED_ERROR':
      return new EnvironmentError(`MYSQL_URL: access denied for ${where}; check the user and password`, { cause: error });
    case 'ER_BAD_DB_ERROR':
      return new EnvironmentError(`MYSQL_URL: database "${parseMysqlUrl(url).database}" does not exist on ${where}; run \`steveslist migrate\` to create it`, { cause: error });
    default:
      return new ServiceUnavailable(`MYSQL_URL: cannot connect to ${where}: ${e.message ?? String(error)}`, { cause: error });
  }
}

/** Opens one connection, turning connect failures into clear errors. */
export async function connectMysql(url: string, options: ConnectOptions = {}): Promise<Connection> {
  try {
    return await mysql.createConnection(connectionOptions(url, options));
  } catch (error) {
    throw describeConnectError(error, url);
  }
}

/** Creates a pool and proves it can connect, so a bad URL fails at start-up, not on first use. */
export async function createMysqlPool(url: string, options: ConnectOptions = {}): Promise<Pool> {
  const pool = mysql.createPool(connectionOptions(url, options));
  try {
    const connection = await pool.getConnection();
    connection.release();
    return pool;
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw describeConnectError(error, url);
  }
}
