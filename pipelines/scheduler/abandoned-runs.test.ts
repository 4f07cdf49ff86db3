// Which "running" rows have lost their scheduler, from facts given as values: no server, no processes.
import { describe, expect, it } from 'vitest';
import { abandonedRuns, type AbandonmentFacts } from './abandoned-runs.js';

const at = (iso: string) => new Date(iso);
const MINUTE = 60_000;

describe('abandoned runs (pure)', () => {
  const facts: AbandonmentFacts = {
    now: at('2026-06-01T12:00:00Z'), timeLimitMs: (name) => (name === 'hourly' ? 10 * MINUTE : undefined), undeclaredLimitMs: 24 * 60 * MINUTE,
    graceMs: MINUTE, hostname: 'here', pid: 100, heldHere: (name) => name === 'held', processAlive: (pid) => pid === 200,
  };
  const row = (id: number, job: string, host: string, startedAt: string) => ({ id, job, host, scheduledFor: at(startedAt), startedAt: at(startedAt) });

  it('calls a run abandoned past its limit and grace, or at once when its process on this machine is gone', () => {
    const found = abandonedRuns([
      row(1, 'hourly', 'elsewhere:7', '2026-06-01T11:48:59Z'),
      row(2, 'hourly', 'elsewhere:7', '2026-06-01T11:49:01Z'),
      row(3, 'hourly', 'here:300', '2026-06-01T11:59:00Z'),
      row(4, 'hourly', 'here:200', '2026-06-01T11:59:00Z'),
      row(5, 'hourly', 'here:100', '2026-06-01T11:59:00Z'),
      row(6, 'held', 'here:100', '2026-06-01T11:59:00Z'),
      row(7, 'removed.job', 'elsewhere:7', '2026-05-31T11:58:00Z'),
      row(8, 'removed.job', 'elsewhere:7', '2026-05-31T12:00:00Z'),
      row(9, 'hourly', 'not-a-pid-host', '2026-06-01T11:59:00Z'),
    ], facts);
    expect(found).toEqual([
      { id: 1, error: 'abandoned: the scheduler on elsewhere:7 stopped while running it (still "running" 11 min after it started, past its time limit of 600 s)' },
      { id: 3, error: 'abandoned: the scheduler on here:300 stopped while running it (process 300 is gone)' },
      { id: 5, error: 'abandoned: the scheduler on here:100 stopped while running it (process 100 has restarted since)' },
      { id: 7, error: 'abandoned: the scheduler on elsewhere:7 stopped while running it (still "running" 1442 min after it started, past its time limit of 86400 s)' },
    ]);
  });
});
