import { copyFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../../marketplace/domain/users.js';
import { createMysqlPool, type Pool, type RowDataPacket } from '../../marketplace/mysql/connection.js';
import { migrate, MIGRATIONS_DIR } from '../../marketplace/schema/migrate.js';
import { newDatabaseUrl } from '../../test/fixtures/database.js';
import { runCli } from '../../test/fixtures/run-cli.js';
import { tempDir } from '../../test/fixtures/temp-dir.js';

let dir: ReturnType<typeof tempDir>;
let pool: Pool | undefined;
beforeAll(() => { dir = tempDir('migrate-'); });
afterAll(async () => {
  await pool?.end();
  dir.remove();
});

describe('steveslist migrate', () => {
  it('gives the listings stored before migration 027 the coordinates of their cities', async () => {
    // A database as the version before listing coordinates left it.
    for (const file of readdirSync(MIGRATIONS_DIR).filter((name) => name.endsWith('.sql') && Number(name.slice(0, 3)) < 27)) {
      copyFileSync(join(MIGRATIONS_DIR, file), join(dir.path, file));
    }
    const { url } = newDatabaseUrl('migrate');
    await migrate(url, { dir: dir.path });
    pool = await createMysqlPool(url);
    const seller = await createUser(pool, { email: 'old@example.com', name: 'Old', passwordHash: 'scrypt$test' });
    await pool.query(`INSERT INTO listings (seller_id, name, description, category, country, city, price_amount, price_currency)
      VALUES (?, 'Köln lamp', '', 'home-garden', 'DE', 'Köln', 100, 'eur'), (?, 'Sydney kayak', '', 'sports', 'AU', 'Sydney', 100, 'aud'),
             (?, 'Lost chair', '', 'furniture', 'US', 'Nowhereville Springs', 100, 'usd')`, [seller.id, seller.id, seller.id]);

    const result = await runCli(['migrate'], { MYSQL_URL: url, LOG_LEVEL: 'silent' });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('027_listing_coordinates.sql');
    expect(result.stdout).toContain('listings given coordinates: 2; in cities the gazetteer does not know: 1');
    const [rows] = await pool.query<RowDataPacket[]>('SELECT name, ROUND(latitude) AS lat, ROUND(longitude) AS lon FROM listings ORDER BY id');
    expect(rows.map((row) => [row.name, row.lat, row.lon])).toEqual([['Köln lamp', 51, 7], ['Sydney kayak', -34, 151], ['Lost chair', null, null]]);
  });
});
