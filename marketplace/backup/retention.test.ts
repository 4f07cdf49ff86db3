import { describe, expect, it } from 'vitest';
import { backupsToKeep, binlogsToPrune, isoWeek } from './retention.js';

describe('backup retention', () => {
  it('numbers ISO weeks as the standard does at year ends', () => {
    expect(isoWeek(new Date('2026-01-01T12:00:00Z'))).toBe('2026-W01');
    expect(isoWeek(new Date('2027-01-01T12:00:00Z'))).toBe('2026-W53');
    expect(isoWeek(new Date('2024-12-30T12:00:00Z'))).toBe('2025-W01');
  });

  it('keeps the newest backup of each of the last 7 days, 4 weeks and 12 months', () => {
    // Two backups a day for 400 days, newest on 2026-11-24.
    const backups = [];
    for (let d = 0; d < 400; d++) {
      for (const hour of ['02', '14']) {
        const at = new Date(Date.parse(`2026-11-24T${hour}:00:00Z`) - d * 86_400_000);
        backups.push({ id: at.toISOString(), created_at: at.toISOString() });
      }
    }
    const kept = [...backupsToKeep(backups)].sort().reverse();
    const daily = kept.filter((id) => id >= '2026-11-18');
    expect(daily).toEqual(['2026-11-24T14', '2026-11-23T14', '2026-11-22T14', '2026-11-21T14', '2026-11-20T14', '2026-11-19T14', '2026-11-18T14'].map((p) => `${p}:00:00.000Z`));
    // Weekly: the newest of ISO weeks 48 and 47 (kept as daily already), 46 and 45: Sundays 11-15 and 11-08.
    expect(kept).toContain('2026-11-15T14:00:00.000Z');
    expect(kept).toContain('2026-11-08T14:00:00.000Z');
    expect(kept).not.toContain('2026-11-01T14:00:00.000Z');
    // Monthly: the newest of each month back to 2025-12 (12 months with November 2026).
    expect(kept).toContain('2026-10-31T14:00:00.000Z');
    expect(kept).toContain('2025-12-31T14:00:00.000Z');
    expect(kept).not.toContain('2025-11-30T14:00:00.000Z');
    expect(kept.length).toBe(7 + 2 + 11);
    expect(kept.every((id) => id.includes('T14'))).toBe(true);
  });

  it('prunes the binlogs before the file the oldest kept backup replays from, by number not by name order', () => {
    const archived = ['binlog.000098', 'binlog.000099', 'binlog.000100', 'binlog.000101', 'binlog.000102'];
    const kept = [{ binlog: { file: 'binlog.000101' } }, { binlog: { file: 'binlog.000100' } }];
    expect(binlogsToPrune(archived, kept)).toEqual(['binlog.000098', 'binlog.000099']);
    expect(binlogsToPrune(['binlog.999999', 'binlog.1000000', 'binlog.1000001'], [{ binlog: { file: 'binlog.1000000' } }])).toEqual(['binlog.999999']);
    // No backup kept: the archive is all there is, so nothing goes.
    expect(binlogsToPrune(archived, [])).toEqual([]);
  });
});
