// The supervisor over small roles of the test's own (a role here is anything with `done` and
// `stop`), on the real clock with short backoffs.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EnvironmentError, SinkUnavailable } from '../../core/errors.js';
import { EmbeddedBus } from '../../pipelines/bus/embedded/index.js';
import { ConsumerRunner } from '../../pipelines/consumers/runner.js';
import { capturedLog } from '../../test/fixtures/captured-log.js';
import { until } from '../../test/fixtures/eventually.js';
import { tempDir } from '../../test/fixtures/temp-dir.js';
import { Supervisor, type Restartable } from './supervisor.js';

/** A role that runs until the test fails it or it is stopped. */
class TestRole implements Restartable {
  readonly done: Promise<void>;
  /** Whether it works yet (for change capture: reading). */
  working = false;
  private end!: (error?: unknown) => void;
  constructor() {
    this.done = new Promise<void>((resolve, reject) => {
      this.end = (error) => (error ? reject(error) : resolve());
    });
    this.done.catch(() => undefined);
  }
  fail(error: unknown): void {
    this.end(error);
  }
  async stop(): Promise<void> {
    this.end();
  }
}

const options = { deadLetterWindowMs: 60_000, initialBackoffMs: 20, maxBackoffMs: 80, stableMs: 100 };

describe('Supervisor', () => {
  it('restarts a failed role with backoff, shows it degraded meanwhile and ok once the new one works', async () => {
    const { log, text } = capturedLog('info');
    const supervisor = new Supervisor(log, { ...options, initialBackoffMs: 200, maxBackoffMs: 400 });
    const started: TestRole[] = [];
    const role = supervisor.supervise('cdc', () => {
      started.push(new TestRole());
      return started.at(-1)!;
    }, { healthy: (instance) => instance.working });
    started[0]!.fail(new Error('Table definition has changed, please retry transaction'));
    const degraded = await until(async () => supervisor.list()[0]!, (s) => s.status === 'degraded');
    expect(degraded).toMatchObject({ role: 'cdc', status: 'degraded', error: 'Table definition has changed, please retry transaction', restarts: 0 });
    await until(async () => started.length, (n) => n === 2);
    // Restarted but not working yet: still degraded.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(supervisor.list()[0]).toMatchObject({ status: 'degraded', restarts: 1 });
    started[1]!.fail(new Error('Table definition has changed, please retry transaction'));
    await until(async () => started.length, (n) => n === 3);
    started[2]!.working = true;
    const recovered = await until(async () => supervisor.list()[0]!, (s) => s.status === 'ok');
    expect(recovered).toMatchObject({ role: 'cdc', status: 'ok', restarts: 2, failures: 2 });
    expect(role.current()).toBe(started[2]);
    await role.stop();

    const lines = text().trim().split('\n').map((line) => JSON.parse(line) as { level: number; msg: string; err?: { stack?: string } });
    // The cause once with its stack, then one short line per further restart, then the recovery.
    expect(lines.filter((l) => l.err?.stack)).toHaveLength(1);
    expect(lines.map((l) => l.msg)).toEqual([
      'role failed; restarting it in 0.2 s (/health shows it degraded meanwhile)',
      'role still failing; restarting it in 0.4 s',
      'role recovered',
    ]);
  });

  it('keeps a role that fails again soon after each restart degraded, its backoff growing (a crash loop is no recovery)', async () => {
    const { log, text } = capturedLog('info');
    const supervisor = new Supervisor(log, { ...options, initialBackoffMs: 20, maxBackoffMs: 10_000, stableMs: 2000 });
    const started: TestRole[] = [];
    const role = supervisor.supervise('cdc', () => {
      const instance = new TestRole();
      // Reading at once, as change capture is, then failing on its first publish a second later.
      instance.working = true;
      started.push(instance);
      return instance;
    }, { healthy: (instance) => instance.working });
    const statuses: string[] = [];
    for (let n = 0; n < 4; n++) {
      await until(async () => started.length, (count) => count === n + 1);
      await new Promise((resolve) => setTimeout(resolve, 1100));
      statuses.push(supervisor.list()[0]!.status);
      started[n]!.fail(new Error('The request included a message larger than the max message size the server will accept'));
    }
    await until(async () => started.length, (count) => count === 5);
    // Each restarted instance failed before it had worked for stableMs: degraded throughout.
    expect(statuses).toEqual(['ok', 'degraded', 'degraded', 'degraded']);
    expect(supervisor.list()[0]).toMatchObject({ status: 'degraded', failures: 4, restarts: 4 });
    // The wait before each restart doubled, as for a role that never came back.
    const waits = text().trim().split('\n').map((line) => JSON.parse(line) as { retryInMs?: number }).flatMap((line) => line.retryInMs ?? []);
    expect(waits).toEqual([20, 40, 80, 160]);
    // Then it works for stableMs: ok again.
    await until(async () => supervisor.list()[0]!.status, (status) => status === 'ok', 5000);
    expect(supervisor.list()[0]!.status).toBe('ok');
    await role.stop();
  });

  it('stops the platform on a configuration error, naming the setting', async () => {
    const supervisor = new Supervisor(capturedLog().log, options);
    const role = new TestRole();
    supervisor.supervise('cdc', () => role);
    role.fail(new EnvironmentError('MYSQL_URL: access denied for mysql://steveslist@127.0.0.1:3306/steveslist; check the user and password'));
    await expect(supervisor.fatal).rejects.toThrow(/^MYSQL_URL: access denied/);
  });

  it('does not restart a role the platform stops', async () => {
    const supervisor = new Supervisor(capturedLog().log, options);
    let starts = 0;
    const role = supervisor.supervise('cdc', () => {
      starts++;
      return new TestRole();
    });
    await role.stop();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(starts).toBe(1);
    expect(supervisor.list()[0]!.status).toBe('ok');
  });

  it('gives a role that retries on its own its backoff, and logs its failure once', () => {
    const { log, text } = capturedLog('info');
    const supervisor = new Supervisor(log, options);
    const scheduler = supervisor.reporter('scheduler');
    expect([1, 2, 3, 4].map(() => scheduler.failed(new SinkUnavailable('job_runs is gone')))).toEqual([20, 40, 80, 80]);
    expect(supervisor.list()[0]).toMatchObject({ role: 'scheduler', status: 'degraded', failures: 4 });
    scheduler.succeeded();
    expect(supervisor.list()[0]!.status).toBe('ok');
    expect(text().trim().split('\n').map((line) => JSON.parse(line).msg)).toEqual([
      'role failed; it retries on its own (/health shows it degraded meanwhile)',
      'role recovered',
    ]);
  });

  it("logs a consumer group's failing batch once: the first of a run with its stack, the next as one-line warnings", async () => {
    const { log, text } = capturedLog('info');
    const supervisor = new Supervisor(log, options);
    const dir = tempDir();
    const bus = await EmbeddedBus.open({
      dir: join(dir.path, 'bus'), defaultPartitions: 1, segmentBytes: 1 << 20, fsync: 'never', fsyncIntervalMs: 100, retentionBytes: 1 << 30, retentionMs: 3_600_000,
    });
    let failures = 2;
    const runner = new ConsumerRunner({
      bus, group: 'email-enqueuer', topics: ['t'], topicPrefix: 'sl', maxBatchSize: 100, log, health: supervisor.reporter('email-enqueuer', 'email-enqueuer'),
      initialBackoffMs: 10, maxBackoffMs: 20,
      handler: async () => {
        if (failures-- > 0) throw new SinkUnavailable('Deadlock found when trying to get lock; try restarting transaction');
      },
    });
    try {
      await bus.publish('t', Array.from({ length: 5 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })));
      await runner.start();
      await until(async () => (await runner.stats()).handled, (handled) => handled === 5);
      await until(async () => text(), (logged) => logged.includes('role recovered'));
    } finally {
      await runner.stop();
      await bus.close();
      dir.remove();
    }
    const lines = text().trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.map((line) => line.msg)).toEqual([
      'sink failed (retriable); retrying (/health shows the role degraded meanwhile)',
      'sink failed (retriable); retrying',
      'role recovered',
    ]);
    expect(lines[0]).toMatchObject({ level: 50, role: 'email-enqueuer', topic: 't', partition: 0, size: 5, attempt: 1, code: 'SINK_UNAVAILABLE' });
    expect(JSON.stringify(lines[0]!.err)).toContain('Deadlock found');
    expect(lines[1]).toMatchObject({ level: 40, attempt: 2, error: 'Deadlock found when trying to get lock; try restarting transaction' });
    expect(JSON.stringify(lines[1])).not.toContain('stack');
  });
});
