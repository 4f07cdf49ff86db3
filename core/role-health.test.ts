import { describe, expect, it } from 'vitest';
import { SinkUnavailable } from './errors.js';
import { restartDelayMs, RoleHealth } from './role-health.js';

function board(windowMs = 60_000) {
  let now = Date.parse('2026-01-01T00:00:00Z');
  const health = new RoleHealth({ deadLetterWindowMs: windowMs, clock: () => now });
  return { health, advance: (ms: number) => { now += ms; }, status: (role: string) => health.list().find((r) => r.role === role)! };
}

describe('restart backoff', () => {
  it('doubles from one second and stays at a minute', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 30].map((attempt) => restartDelayMs(attempt))).toEqual([1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000, 60_000]);
  });
});

describe('role health', () => {
  it('reports a registered role ok before it has done anything', () => {
    const { health } = board();
    health.register('warehouse-loader', 'warehouse-loader');
    expect(health.list()).toEqual([{ role: 'warehouse-loader', group: 'warehouse-loader', status: 'ok', restarts: 0, failures: 0, dead_letters: 0 }]);
  });

  it('is degraded from the first failure, with the error and since when, and backs off further with each', () => {
    const { health, advance, status } = board();
    expect(health.failed('cdc', new Error('Table definition has changed\nat line 2'))).toEqual({ transition: 'degraded', delayMs: 1000, attempt: 1 });
    const since = status('cdc').since;
    advance(1000);
    health.restarted('cdc');
    expect(health.failed('cdc', new SinkUnavailable('still broken'))).toEqual({ transition: 'still-degraded', delayMs: 2000, attempt: 2 });
    expect(status('cdc')).toMatchObject({ status: 'degraded', error: 'still broken', code: 'SINK_UNAVAILABLE', since, restarts: 1, failures: 2 });
    expect(since).toBe('2026-01-01T00:00:00.000Z');
  });

  it('recovers on the next success, and starts its backoff and its episode afresh', () => {
    const { health, advance, status } = board();
    health.failed('scheduler', new Error('boom'));
    health.failed('scheduler', new Error('boom'));
    advance(5000);
    expect(health.succeeded('scheduler')).toEqual({ transition: 'recovered', degradedForMs: 5000 });
    expect(status('scheduler')).toEqual({ role: 'scheduler', status: 'ok', restarts: 0, failures: 2, dead_letters: 0 });
    expect(health.succeeded('scheduler').transition).toBe('unchanged');
    advance(1000);
    expect(health.failed('scheduler', new Error('again')).delayMs).toBe(1000);
    expect(status('scheduler').since).toBe('2026-01-01T00:00:06.000Z');
  });

  it('keeps a group that dead-lettered degraded for the window, even while its batches succeed', () => {
    const { health, advance, status } = board(60_000);
    health.register('email', 'email');
    expect(health.deadLettered('email', 3, new Error('Column count does not match'))).toEqual({ transition: 'degraded' });
    health.succeeded('email');
    expect(status('email')).toMatchObject({ status: 'degraded', error: 'Column count does not match', dead_letters: 3, last_dead_letter_at: '2026-01-01T00:00:00.000Z' });
    advance(59_999);
    expect(health.deadLettered('email', 2, new Error('again')).transition).toBe('still-degraded');
    advance(59_999);
    expect(status('email').status).toBe('degraded');
    advance(1);
    expect(status('email')).toEqual({
      role: 'email', group: 'email', status: 'ok', restarts: 0, failures: 0, dead_letters: 5, last_dead_letter_at: '2026-01-01T00:00:59.999Z',
    });
  });

  it('shows a role\'s latest note while ok and while degraded', () => {
    const { health, status } = board(60_000);
    health.register('medians');
    expect(status('medians').detail).toBeUndefined();
    health.note('medians', 'medians from the warehouse');
    expect(status('medians')).toMatchObject({ status: 'ok', detail: 'medians from the warehouse' });
    health.failed('medians', new Error('MySQL went away'));
    health.note('medians', 'medians from MySQL');
    expect(status('medians')).toMatchObject({ status: 'degraded', error: 'MySQL went away', detail: 'medians from MySQL' });
  });
});
