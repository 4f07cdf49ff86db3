// The scheduler as people use it: `steveslist jobs list|run|history` and `steveslist scheduler` as
// child processes against a real MariaDB, and the ledger on the admin server.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/log.js';
import { freePort } from '../../core/ports.js';
import { addAdminUser } from '../../marketplace/auth/admin-accounts.js';
import { createUser } from '../../marketplace/domain/users.js';
import type { RowDataPacket } from '../../marketplace/mysql/connection.js';
import { buildAdminServer } from '../../api/admin/server.js';
import { createTestDatabase, type TestDatabase } from '../../test/fixtures/database.js';
import { httpClient } from '../../test/fixtures/http-client.js';
import { runCli, startCli } from '../../test/fixtures/run-cli.js';
import { tempDir } from '../../test/fixtures/temp-dir.js';
import { platformJobs } from '../job-catalogue.js';
import { Scheduler } from '../../pipelines/scheduler/scheduler.js';

const dir = tempDir();
let db: TestDatabase;
let env: Record<string, string>;

beforeAll(async () => {
  db = await createTestDatabase('jobs');
  env = { MYSQL_URL: db.url, DATA_DIR: join(dir.path, 'data'), LOG_LEVEL: 'warn' };
});
afterAll(async () => {
  await db?.close();
  dir.remove();
});

describe('steveslist jobs', () => {
  it('lists the jobs with their schedule and next run', async () => {
    const listed = await runCli(['jobs', 'list'], { ...env, SCHEDULER_TIMEZONE: 'Europe/Berlin' });
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^sessions\.purge-expired$/m);
    expect(listed.stdout).toMatch(/schedule 17 4 \* \* \* \(Europe\/Berlin\), limit 600 s, missed: catch-up/);
    expect(listed.stdout).toMatch(/next \d{4}-\d\d-\d\dT0[23]:17:00\.000Z; last never ran/);
  });

  it('runs a job now, records it in the ledger as run by hand, and shows it in the history', async () => {
    const user = await createUser(db.pool, { email: 'sessions@example.com', name: 'S', passwordHash: 'x' });
    await db.pool.query(
      'INSERT INTO user_sessions (token_hash, user_id, expires_at) VALUES (?, ?, UTC_TIMESTAMP(6) - INTERVAL 1 DAY), (?, ?, UTC_TIMESTAMP(6) + INTERVAL 1 DAY)',
      ['a'.repeat(64), user.id, 'b'.repeat(64), user.id],
    );
    const ran = await runCli(['jobs', 'run', 'sessions.purge-expired'], env);
    expect(ran).toMatchObject({ code: 0 });
    expect(ran.stdout).toContain('sessions.purge-expired: succeeded: deleted 1 user and 0 admin sessions');
    const [left] = await db.pool.query<RowDataPacket[]>('SELECT token_hash FROM user_sessions');
    expect(left.map((row) => row.token_hash)).toEqual(['b'.repeat(64)]);

    const history = await runCli(['jobs', 'history', 'sessions.purge-expired'], env);
    expect(history.stdout).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z  sessions\.purge-expired\s+succeeded manual\s+\S+\s+deleted 1 user and 0 admin sessions$/m);
    expect(history.stdout).toContain('1 run(s)');
  });

  it('names the jobs when asked for one that does not exist, and the setting when the time zone is wrong', async () => {
    const unknown = await runCli(['jobs', 'run', 'backups.nightly-typo'], env);
    expect(unknown).toMatchObject({ code: 2, stderr: 'steveslist: no job named "backups.nightly-typo"; the jobs are: sessions.purge-expired, backups.nightly, backups.archive-binlogs, reports.refresh-dashboards, reports.subscriptions, reports.alerts\n' });
    expect((await runCli(['jobs', 'explode'], env)).stderr).toMatch(/^steveslist: usage: steveslist jobs list/);
    const zone = await runCli(['jobs', 'list'], { ...env, SCHEDULER_TIMEZONE: 'Mars/Base' });
    expect(zone.code).toBe(2);
    expect(zone.stderr).toContain('SCHEDULER_TIMEZONE: "Mars/Base" is not an IANA time zone');
  });

  it('runs the nightly backup job: a backup, the binlogs, a restore into a scratch server to prove it', async () => {
    const backupDir = join(dir.path, 'backups');
    const ran = await runCli(['jobs', 'run', 'backups.nightly'], { ...env, BACKUP_DIR: backupDir });
    expect(ran.code).toBe(0);
    expect(ran.stdout).toMatch(/backups\.nightly: succeeded: backup \d{8}T\d{6}Z: \d+ rows, [\d.]+ MB, verified by a restore; \d+ binlog\(s\) archived; 0 old backup\(s\) and \d+ binlog\(s\) pruned/);
    const listed = await runCli(['backup', 'list'], { ...env, BACKUP_DIR: backupDir });
    expect(listed.stdout).toMatch(/^\d{8}T\d{6}Z  \S+  \d+ rows .* verified \d{4}-/m);
  });

  it('runs the scheduler alone until SIGTERM', async () => {
    const scheduler = startCli(['scheduler'], { ...env, LOG_LEVEL: 'info' });
    await scheduler.waitFor(/scheduler running/);
    scheduler.child.kill('SIGTERM');
    expect(await scheduler.exited).toBe(0);
  });
});

describe('jobs on the admin server', () => {
  it('shows each job with its next and last run, and the ledger, to logged-in staff only', async () => {
    await addAdminUser(db.pool, 'jo', 'correct horse battery staple');
    const scheduler = new Scheduler({ pool: db.pool, jobs: platformJobs({ pool: db.pool, timezone: 'UTC' }), log: silentLogger() });
    const admin = await buildAdminServer({ pool: db.pool, log: silentLogger(), scheduler });
    try {
      const call = httpClient(await admin.listen({ host: '127.0.0.1', port: 0 }));
      expect((await call('GET', '/admin/jobs')).status).toBe(401);
      const token = (await call('POST', '/admin/session', { body: { username: 'jo', password: 'correct horse battery staple' } })).body.token as string;
      const jobs = await call('GET', '/admin/jobs', { token });
      expect(jobs.body.data).toEqual([expect.objectContaining({
        name: 'sessions.purge-expired', cron: '17 4 * * *', timezone: 'UTC', missed: 'catch-up', next_run: expect.stringMatching(/T04:17:00\.000Z$/),
        last_run: expect.objectContaining({ status: 'succeeded', trigger_kind: 'manual' }),
      })]);
      const runs = await call('GET', '/admin/jobs/runs?job=sessions.purge-expired&status=succeeded', { token });
      expect(runs.body.data).toEqual([expect.objectContaining({
        job: 'sessions.purge-expired', status: 'succeeded', summary: 'deleted 1 user and 0 admin sessions', scheduled_for: expect.stringMatching(/^\d{4}-\d\d-\d\dT[\d:.]+Z$/),
      })]);
      expect(await call('GET', '/admin/jobs/runs?status=exploded', { token })).toMatchObject({ status: 400, body: { field: 'status' } });
    } finally {
      await admin.close();
    }
  });
});

describe('jobs on the admin server as its own role', () => {
  it('lists the jobs on `steveslist serve admin` too (a server that runs none)', async () => {
    const port = await freePort();
    const admin = startCli(['serve', 'admin'], { ...env, ADMIN_PORT: String(port), LOG_LEVEL: 'info' });
    try {
      await admin.waitFor(/serving; Ctrl-C stops it/);
      const call = httpClient(`http://127.0.0.1:${port}`);
      expect((await call('GET', '/admin/jobs')).status).toBe(401);
      const token = (await call('POST', '/admin/session', { body: { username: 'jo', password: 'correct horse battery staple' } })).body.token as string;
      const jobs = await call('GET', '/admin/jobs', { token });
      expect(jobs.status).toBe(200);
      expect(jobs.body.data.map((job: { name: string }) => job.name)).toContain('sessions.purge-expired');
    } finally {
      admin.child.kill('SIGTERM');
      expect(await admin.exited).toBe(0);
    }
  });
});

// Last: it leaves a failed run as the job's newest, which the tests above do not expect.
describe('steveslist jobs run, interrupted', () => {
  it('ends a run by hand that is interrupted as failed in the ledger, not "running"', async () => {
    const user = await createUser(db.pool, { email: 'locked@example.com', name: 'L', passwordHash: 'x' });
    // A session row locked by another transaction holds the purge's DELETE until we let go.
    const holder = await db.pool.getConnection();
    try {
      await holder.query('INSERT INTO user_sessions (token_hash, user_id, expires_at) VALUES (?, ?, UTC_TIMESTAMP(6) - INTERVAL 1 DAY)', ['c'.repeat(64), user.id]);
      await holder.beginTransaction();
      await holder.query('SELECT * FROM user_sessions WHERE token_hash = ? FOR UPDATE', ['c'.repeat(64)]);
      const run = startCli(['jobs', 'run', 'sessions.purge-expired'], { ...env, LOG_LEVEL: 'info' });
      await run.waitFor(/job started/);
      run.child.kill('SIGTERM');
      expect(await run.exited).toBe(130);
      const [rows] = await db.pool.query<RowDataPacket[]>("SELECT status, error FROM job_runs WHERE job = 'sessions.purge-expired' ORDER BY id DESC LIMIT 1");
      expect(rows[0]).toMatchObject({ status: 'failed', error: 'aborted: interrupted (Ctrl-C or SIGTERM)' });
    } finally {
      await holder.rollback();
      holder.release();
      await db.pool.query('DELETE FROM user_sessions WHERE token_hash = ?', ['c'.repeat(64)]);
    }
  });
});
