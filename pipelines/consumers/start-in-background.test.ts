import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/log.js';
import { RoleHealth, type RoleReporter } from '../../core/role-health.js';
import { until } from '../../test/fixtures/eventually.js';
import { startInBackground } from './start-in-background.js';

function reporter(health: RoleHealth, role: string): RoleReporter {
  health.register(role);
  return {
    failed: (error) => health.failed(role, error).delayMs,
    succeeded: () => health.succeeded(role),
    deadLettered: (count, error) => health.deadLettered(role, count, error),
    noted: (detail) => health.note(role, detail),
  };
}

describe('starting a role in the background', () => {
  it('says it is starting, shows a failed attempt as degraded, tries again with backoff and is ok once started', async () => {
    const health = new RoleHealth({ deadLetterWindowMs: 60_000, initialBackoffMs: 50, maxBackoffMs: 100 });
    let attempts = 0;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => { release = resolve; });
    const starting = startInBackground(async () => {
      if (++attempts === 1) throw new Error('MySQL went away');
      await gate;
    }, { health: reporter(health, 'search-alerts'), log: silentLogger(), what: 'filling the percolator' });
    const during = await until(async () => health.list()[0]!, () => attempts === 2);
    expect(during).toMatchObject({ status: 'degraded', error: 'MySQL went away', detail: 'starting: filling the percolator' });
    release();
    const started = await until(async () => health.list()[0]!, (status) => status.status === 'ok');
    expect(started).toMatchObject({ status: 'ok', failures: 1 });
    expect(started.detail).toBeUndefined();
    await starting.stop();
  });

  it('stops retrying when stopped, after the attempt in hand', async () => {
    let attempts = 0;
    const starting = startInBackground(async () => {
      attempts++;
      throw new Error('no table');
    }, { log: silentLogger(), what: 'reading the price medians' });
    await until(async () => attempts, (n) => n === 1);
    await starting.stop();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(attempts).toBe(1);
  });
});
