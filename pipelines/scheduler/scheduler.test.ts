// The scheduler against a real MariaDB ledger, on a clock the test moves: several schedulers run
// each occurrence once; downtime is caught up or skipped per job; a run over its limit is stopped
// and marked timed_out; a run whose scheduler died is marked failed; stopping ends runs in the
// ledger even when a job ignores its signal; a failing job keeps its error.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { hostname } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/log.js';
import { createMysqlPool, type RowDataPacket } from '../../marketplace/mysql/connection.js';
import { createTestDatabase, type TestDatabase } from '../../test/fixtures/database.js';
import { until } from '../../test/fixtures/eventually.js';
import type { JobContext, ScheduledJob } from './job.js';
import { Scheduler } from './scheduler.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase('sched');
});
afterAll(async () => {
  await db?.close();
});

const at = (iso: string) => new Date(iso);
const MINUTE = 60_000;

function job(name: string, run: (context: JobContext) => Promise<string | void>, overrides: Partial<ScheduledJob> = {}): ScheduledJob {
  return { name, description: name, cron: '* * * * *', timezone: 'UTC', timeLimitMs: 5_000, missed: 'catch-up', run, ...overrides };
}

async function ledger(name: string): Promise<RowDataPacket[]> {
  const [rows] = await db.pool.query<RowDataPacket[]>('SELECT scheduled_for, status, trigger_kind, error, summary, host FROM job_runs WHERE job = ? ORDER BY scheduled_for, id', [name]);
  return rows;
}

const settled = (name: string) => until(() => ledger(name), (rows) => rows.every((row) => row.status !== 'running'));

describe('scheduler', () => {
  it('runs each occurrence once, however many schedulers share the database', async () => {
    let now = at('2026-05-04T10:00:00.500Z');
    const ran: string[] = [];
    const shared = job('shared.every-minute', async ({ scheduledFor }) => { ran.push(scheduledFor.toISOString()); });
    // Each on its own pool, as separate processes would be: the claims race on the server.
    const pools = await Promise.all(['a', 'b', 'c'].map(() => createMysqlPool(db.url)));
    try {
      const schedulers = ['a', 'b', 'c'].map((host, i) => new Scheduler({ pool: pools[i]!, jobs: [shared], log: silentLogger(), clock: () => now, host }));
      for (let minute = 0; minute < 5; minute++) {
        now = new Date(at('2026-05-04T10:00:00.500Z').getTime() + minute * MINUTE);
        await Promise.all(schedulers.map((s) => s.tick()));
        await Promise.all(schedulers.map((s) => s.tick()));
      }
      const rows = await settled('shared.every-minute');
      expect(ran.sort()).toEqual(['10:00', '10:01', '10:02', '10:03', '10:04'].map((t) => `2026-05-04T${t}:00.000Z`));
      expect(rows.map((row) => row.status)).toEqual(Array(5).fill('succeeded'));
    } finally {
      await Promise.all(pools.map((pool) => pool.end()));
    }
  });

  it('after downtime runs the newest missed occurrence of a catch-up job and skips the rest; a skip job only records them', async () => {
    let now = at('2026-05-05T03:00:10Z');
    const ran: Record<string, string[]> = { 'nightly.catch-up': [], 'nightly.skip': [] };
    const jobs = (['catch-up', 'skip'] as const).map((missed) =>
      job(`nightly.${missed}`, async ({ scheduledFor }) => { ran[`nightly.${missed}`]!.push(scheduledFor.toISOString()); }, { cron: '0 3 * * *', missed }));
    const scheduler = new Scheduler({ pool: db.pool, jobs, log: silentLogger(), clock: () => now });
    await scheduler.tick();
    await settled('nightly.catch-up');

    // Down for four nights; back at noon.
    now = at('2026-05-09T12:00:00Z');
    await scheduler.tick();
    await settled('nightly.catch-up');
    expect(ran['nightly.catch-up']).toEqual(['2026-05-05T03:00:00.000Z', '2026-05-09T03:00:00.000Z']);
    expect((await ledger('nightly.catch-up')).map((row) => row.status)).toEqual(['succeeded', 'skipped', 'skipped', 'skipped', 'succeeded']);
    expect(ran['nightly.skip']).toEqual(['2026-05-05T03:00:00.000Z']);
    const skipRows = await ledger('nightly.skip');
    expect(skipRows.map((row) => row.status)).toEqual(['succeeded', 'skipped', 'skipped', 'skipped', 'skipped']);
    expect(skipRows[1]!.error).toBe('missed while no scheduler ran');

    // And the schedule goes on from there.
    now = at('2026-05-10T03:00:05Z');
    await scheduler.tick();
    await settled('nightly.skip');
    expect(ran['nightly.skip']).toEqual(['2026-05-05T03:00:00.000Z', '2026-05-10T03:00:00.000Z']);
  });

  it('stops a run over its time limit, marks it timed_out, and tells the job through its signal', async () => {
    let aborted = false;
    const slow = job('slow.job', ({ signal }) => new Promise((_resolve, reject) => {
      signal.addEventListener('abort', () => {
        aborted = true;
        reject(signal.reason as Error);
      });
    }), { timeLimitMs: 200 });
    const scheduler = new Scheduler({ pool: db.pool, jobs: [slow], log: silentLogger() });
    const outcome = await scheduler.runNow('slow.job');
    expect(outcome).toMatchObject({ status: 'timed_out', error: 'stopped after its time limit of 0.2 s' });
    expect(aborted).toBe(true);
    expect((await ledger('slow.job'))[0]).toMatchObject({ status: 'timed_out', trigger_kind: 'manual' });
  });

  it('records a failing job\'s error, and a successful one\'s summary', async () => {
    const scheduler = new Scheduler({
      pool: db.pool, log: silentLogger(),
      jobs: [job('breaks', async () => { throw new Error('disk full'); }), job('works', async () => 'did 3 things')],
    });
    expect(await scheduler.runNow('breaks')).toMatchObject({ status: 'failed', error: 'disk full' });
    expect(await scheduler.runNow('works')).toMatchObject({ status: 'succeeded', summary: 'did 3 things' });
    expect((await ledger('breaks'))[0]).toMatchObject({ status: 'failed', error: 'disk full' });
    expect((await ledger('works'))[0]).toMatchObject({ status: 'succeeded', summary: 'did 3 things', error: null });
  });

  it('marks a run left "running" by a scheduler that died as failed, once past the time limit', async () => {
    const now = at('2026-06-01T08:00:30Z');
    await db.pool.query(
      "INSERT INTO job_runs (job, scheduled_for, started_at, status, host) VALUES ('orphaned', ?, ?, 'running', 'gone-host:123'), ('orphaned', ?, ?, 'running', 'busy-host:456')",
      [at('2026-06-01T07:00:00Z'), at('2026-06-01T07:00:01Z'), at('2026-06-01T07:59:00Z'), at('2026-06-01T07:59:00Z')],
    );
    const scheduler = new Scheduler({ pool: db.pool, jobs: [job('orphaned', async () => undefined, { cron: '0 7 * * *', timeLimitMs: 10 * MINUTE })], log: silentLogger(), clock: () => now });
    await scheduler.tick();
    const rows = await ledger('orphaned');
    expect(rows[0]).toMatchObject({ status: 'failed', error: 'abandoned: the scheduler on gone-host:123 stopped while running it (still "running" 60 min after it started, past its time limit of 600 s)' });
    // Still within its limit: it may be running somewhere.
    expect(rows[1]).toMatchObject({ status: 'running' });
  });

  it('does not count a run by hand as a scheduled occurrence', async () => {
    let now = at('2026-07-01T03:00:05Z');
    const runs: string[] = [];
    const scheduler = new Scheduler({ pool: db.pool, jobs: [job('handy', async ({ scheduledFor }) => { runs.push(scheduledFor.toISOString()); }, { cron: '0 3 * * *', missed: 'catch-up' })], log: silentLogger(), clock: () => now });
    await scheduler.tick();
    await settled('handy');
    now = at('2026-07-03T14:00:00Z');
    await scheduler.runNow('handy');
    now = at('2026-07-03T15:00:00Z');
    await scheduler.tick();
    await settled('handy');
    // The 07-03 03:00 occurrence was missed; the run by hand at 14:00 did not stand in for it.
    expect(runs).toEqual(['2026-07-01T03:00:00.000Z', '2026-07-03T14:00:00.000Z', '2026-07-03T03:00:00.000Z']);
  });

  it('fails at once a run whose process on this machine is gone, however long its limit', async () => {
    const child = spawn(process.execPath, ['-e', '']);
    await once(child, 'exit');
    const now = at('2026-06-02T08:00:30Z');
    await db.pool.query(
      "INSERT INTO job_runs (job, scheduled_for, started_at, status, host) VALUES ('crashed', ?, ?, 'running', ?)",
      [at('2026-06-02T08:00:00Z'), at('2026-06-02T08:00:00Z'), `${hostname()}:${child.pid}`],
    );
    const scheduler = new Scheduler({ pool: db.pool, jobs: [job('crashed', async () => undefined, { cron: '0 0 1 1 *', timeLimitMs: 3 * 60 * MINUTE })], log: silentLogger(), clock: () => now });
    await scheduler.tick();
    expect((await ledger('crashed'))[0]).toMatchObject({ status: 'failed', error: `abandoned: the scheduler on ${hostname()}:${child.pid} stopped while running it (process ${child.pid} is gone)` });
  });

  it('on stop lets a run finish within the grace, and ends one that ignores its signal as failed', async () => {
    let release: (() => void) | undefined;
    let deafStarted = false;
    const quick = job('stop.quick', () => new Promise<string>((resolve) => { release = () => resolve('finished in time'); }));
    const deaf = job('stop.deaf', () => { deafStarted = true; return new Promise(() => undefined); }, { timeLimitMs: 60 * MINUTE });
    const scheduler = new Scheduler({ pool: db.pool, jobs: [quick, deaf], log: silentLogger() });
    const quickRun = scheduler.runNow('stop.quick');
    await until(() => release, Boolean);
    const stopping = scheduler.stop(60_000);
    release!();
    await stopping;
    expect(await quickRun).toMatchObject({ status: 'succeeded', summary: 'finished in time' });

    const other = new Scheduler({ pool: db.pool, jobs: [quick, deaf], log: silentLogger() });
    const deafRun = other.runNow('stop.deaf');
    await until(() => deafStarted, Boolean);
    await other.stop(0, 'shutting down for the test');
    expect(await deafRun).toMatchObject({ status: 'failed', error: 'aborted: shutting down for the test' });
    expect((await ledger('stop.deaf'))[0]).toMatchObject({ status: 'failed', error: 'aborted: shutting down for the test' });
  });

  it('records what a job threw when it was not an Error', async () => {
    const scheduler = new Scheduler({ pool: db.pool, jobs: [job('throws.text', () => Promise.reject('quota exceeded'))], log: silentLogger() });
    expect(await scheduler.runNow('throws.text')).toMatchObject({ status: 'failed', error: 'quota exceeded' });
  });
});
