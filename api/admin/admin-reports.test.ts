// The dashboards' route before and after a build: a start without one says once how to build it,
// with no warning about the missing folder, and the folder built later is served without a restart.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { capturedLog } from '../../test/fixtures/captured-log.js';
import { createTestDatabase, type TestDatabase } from '../../test/fixtures/database.js';
import { tempDir } from '../../test/fixtures/temp-dir.js';
import { buildAdminServer } from './server.js';

const dir = tempDir();
let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase('admin_reports');
});
afterAll(async () => {
  await db.close();
  dir.remove();
});

it('says how to build the dashboards when they are not built, then serves them once they are', async () => {
  const dashboards = join(dir.path, 'dashboards');
  const build = join(dashboards, 'site');
  const captured = capturedLog('info');
  const admin = await buildAdminServer({ pool: db.pool, log: captured.log, dashboardsDir: dashboards });
  try {
    const base = await admin.listen({ host: '127.0.0.1', port: 0 });
    const unbuilt = await fetch(`${base}/reports/`);
    expect(unbuilt.status).toBe(503);
    expect(await unbuilt.text()).toContain('npm run reports:install');
    const said = captured.text().split('\n').filter((line) => line.includes('dashboards are not built yet'));
    expect(said).toHaveLength(1);
    expect(said[0]).toContain('jobs run reports.refresh-dashboards');
    expect(captured.text()).not.toMatch(/must exist|"level":40/);

    mkdirSync(build, { recursive: true });
    writeFileSync(join(build, 'index.html'), '<h1>dashboards</h1>');
    const built = await fetch(`${base}/reports/`);
    expect(built.status).toBe(200);
    expect(await built.text()).toContain('dashboards');
  } finally {
    await admin.close();
  }
});
