// Versioned schema migrations: plain SQL files `NNN_name.sql`, applied in order and recorded in
// `schema_migrations` with a checksum, so an edited, already-applied file is caught.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MigrationError } from '../../core/errors.js';
import { silentLogger, type Logger } from '../../core/log.js';
import { connectMysql, parseMysqlUrl, type RowDataPacket } from '../mysql/connection.js';
import { projectPath } from '../../core/project-root.js';

export const MIGRATIONS_DIR = projectPath('marketplace', 'schema', 'migrations');

export interface Migration {
  version: number;
  name: string;
  file: string;
  sql: string;
  checksum: string;
}

export interface MigrateResult {
  applied: Migration[];
  alreadyApplied: number;
}

export function loadMigrations(dir = MIGRATIONS_DIR): Migration[] {
  const migrations: Migration[] = [];
  for (const file of readdirSync(dir).sort()) {
    if (!file.endsWith('.sql')) continue;
    const match = /^(\d+)_([a-z0-9_]+)\.sql$/.exec(file);
    if (!match) throw new MigrationError(`${file}: migration files are named NNN_snake_case_name.sql`);
    const sql = readFileSync(join(dir, file), 'utf8').replace(/\r\n/g, '\n');
    const version = Number(match[1]);
    if (migrations.some((m) => m.version === version)) throw new MigrationError(`${file}: version ${version} is used twice`);
    migrations.push({ version, name: match[2]!, file, sql, checksum: createHash('sha256').update(sql).digest('hex') });
  }
  return migrations;
}

/**
 * Brings the URL's database up to the newest migration, creating the database if needed.
 * Safe to run again and from several processes at once (a named lock serialises them).
 */
export async function migrate(url: string, options: { log?: Logger; dir?: string } = {}): Promise<MigrateResult> {
  const log = options.log ?? silentLogger();
  const migrations = loadMigrations(options.dir);
  const { database } = parseMysqlUrl(url);
  const connection = await connectMysql(url, { noDatabase: true, multipleStatements: true });
  try {
    await connection.query(`CREATE DATABASE IF NOT EXISTS \`${database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    await connection.query(`USE \`${database}\``);
    const [[lock]] = await connection.query<RowDataPacket[]>('SELECT GET_LOCK(?, 60) AS got', [`steveslist.migrate.${database}`]);
    if (Number(lock!.got) !== 1) throw new MigrationError(`another \`steveslist migrate\` has held the lock on ${database} for 60s; try again when it finished`);
    try {
      await connection.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
        version INT UNSIGNED NOT NULL PRIMARY KEY,
        name VARCHAR(200) NOT NULL,
        checksum CHAR(64) NOT NULL,
        applied_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
      const [rows] = await connection.query<RowDataPacket[]>('SELECT version, name, checksum FROM schema_migrations ORDER BY version');
      const known = new Map(migrations.map((m) => [m.version, m]));
      for (const row of rows) {
        const migration = known.get(Number(row.version));
        if (!migration) {
          throw new MigrationError(`${database} has migration ${row.version} (${row.name}) that this version of steveslist does not know; run a newer version`);
        }
        if (migration.checksum !== row.checksum) {
          throw new MigrationError(`migration ${migration.file} was changed after it was applied to ${database}; restore it and put the change in a new migration`);
        }
      }
      const done = new Set(rows.map((row) => Number(row.version)));
      const applied: Migration[] = [];
      for (const migration of migrations) {
        if (done.has(migration.version)) continue;
        const label = migration.file.replace(/\.sql$/, '');
        try {
          await connection.query(migration.sql);
        } catch (error) {
          throw new MigrationError(`migration ${label} failed: ${(error as Error).message}`, { cause: error });
        }
        await connection.query('INSERT INTO schema_migrations (version, name, checksum) VALUES (?, ?, ?)', [migration.version, migration.name, migration.checksum]);
        log.info({ migration: label }, 'applied migration');
        applied.push(migration);
      }
      return { applied, alreadyApplied: rows.length };
    } finally {
      await connection.query('SELECT RELEASE_LOCK(?)', [`steveslist.migrate.${database}`]).catch(() => undefined);
    }
  } finally {
    await connection.end();
  }
}
