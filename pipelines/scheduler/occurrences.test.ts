// When a job's occurrences fall and what becomes of missed ones: values in, values out, no server.
import { describe, expect, it } from 'vitest';
import { checkSchedule, occurrencesBetween, planDue } from './occurrences.js';

const at = (iso: string) => new Date(iso);
const MINUTE = 60_000;

describe('occurrences (pure)', () => {
  it('follows the time zone across a daylight-saving change', () => {
    const nightly = { cron: '0 3 * * *', timezone: 'Europe/Berlin' };
    expect(occurrencesBetween(nightly, at('2026-03-27T12:00:00Z'), at('2026-03-30T12:00:00Z')).map((d) => d.toISOString()))
      .toEqual(['2026-03-28T02:00:00.000Z', '2026-03-29T01:00:00.000Z', '2026-03-30T01:00:00.000Z']);
  });

  it('runs the newest missed occurrence under catch-up, none under skip, and an on-time one under both', () => {
    const due = [at('2026-01-01T00:00:00Z'), at('2026-01-01T00:01:00Z'), at('2026-01-01T00:02:00Z')];
    const late = at('2026-01-01T00:10:00Z');
    expect(planDue('catch-up', due, late, MINUTE)).toEqual({ run: due[2], skip: due.slice(0, 2) });
    expect(planDue('skip', due, late, MINUTE)).toEqual({ skip: due });
    expect(planDue('skip', due, at('2026-01-01T00:02:30Z'), MINUTE)).toEqual({ run: due[2], skip: due.slice(0, 2) });
    expect(planDue('catch-up', [], late, MINUTE)).toEqual({ skip: [] });
  });

  it('names the job when its schedule is wrong', () => {
    expect(() => checkSchedule({ name: 'broken', cron: '61 * * * *', timezone: 'UTC' })).toThrow(/job broken: cron "61 \* \* \* \*" in UTC: .*minute/);
    expect(() => checkSchedule({ name: 'lost', cron: '0 3 * * *', timezone: 'Mars/Base' })).toThrow(/job lost: .*Mars\/Base/);
  });
});
