// The run ledger in MySQL (job_runs): one row per occurrence, so anyone can see what ran. The
// unique (job, scheduled_for) key makes inserting the row the lock: of several schedulers, the
// one whose insert lands runs the occurrence; the others see it taken.
import type { Pool, ResultSetHeader, RowDataPacket } from '../../marketplace/mysql/connection.js';
import { apiRow } from '../../marketplace/queries/api-row.js';

export const RUN_STATUSES = ['running', 'succeeded', 'failed', 'timed_out', 'skipped'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export interface JobRun {
  id: number;
  job: string;
  scheduled_for: string;
  started_at: string;
  finished_at: string | null;
  status: RunStatus;
  trigger_kind: 'schedule' | 'manual';
  error: string | null;
  summary: string | null;
  host: string;
}

/** Claims an occurrence; returns the run's id, or undefined when another scheduler has it. */
export async function claimRun(pool: Pool, job: string, scheduledFor: Date, host: string, now: Date, trigger: 'schedule' | 'manual' = 'schedule'): Promise<number | undefined> {
  const [result] = await pool.query<ResultSetHeader>(
    "INSERT IGNORE INTO job_runs (job, scheduled_for, started_at, status, trigger_kind, host) VALUES (?, ?, ?, 'running', ?, ?)", [job, scheduledFor, now, trigger, host],
  );
  return result.affectedRows === 1 ? result.insertId : undefined;
}

/** Ends a run that is still running; a run already ended (timed out meanwhile) keeps its outcome. */
export async function finishRun(pool: Pool, id: number, status: Exclude<RunStatus, 'running' | 'skipped'>, now: Date, outcome: { error?: string; summary?: string } = {}): Promise<void> {
  await pool.query(
    "UPDATE job_runs SET status = ?, finished_at = ?, error = ?, summary = ? WHERE id = ? AND status = 'running'",
    [status, now, outcome.error?.slice(0, 5000) ?? null, outcome.summary?.slice(0, 1000) ?? null, id],
  );
}

export async function recordSkipped(pool: Pool, job: string, occurrences: readonly Date[], host: string, now: Date): Promise<void> {
  if (occurrences.length === 0) return;
  await pool.query(
    'INSERT IGNORE INTO job_runs (job, scheduled_for, started_at, finished_at, status, error, host) VALUES ?',
    [occurrences.map((at) => [job, at, now, now, 'skipped', 'missed while no scheduler ran', host])],
  );
}

/** The newest scheduled occurrence the ledger knows for the job, whatever its outcome (runs by hand aside). */
export async function lastScheduled(pool: Pool, job: string): Promise<Date | undefined> {
  const [rows] = await pool.query<RowDataPacket[]>("SELECT MAX(scheduled_for) AS at FROM job_runs WHERE job = ? AND trigger_kind = 'schedule'", [job]);
  const at = rows[0]?.at as string | null;
  return at ? new Date(`${at.replace(' ', 'T')}Z`) : undefined;
}

/**
 * Fails runs whose scheduler died mid-run: still "running" well past the job's time limit, which
 * a living scheduler would have enforced. The ledger must never say "running" forever.
 */
export async function failAbandoned(pool: Pool, job: string, olderThan: Date, now: Date): Promise<number> {
  const [result] = await pool.query<ResultSetHeader>(
    `UPDATE job_runs SET status = 'failed', finished_at = ?, error = CONCAT('abandoned: the scheduler on ', host, ' stopped while running it')
     WHERE job = ? AND status = 'running' AND started_at < ?`,
    [now, job, olderThan],
  );
  return result.affectedRows;
}

export async function runHistory(pool: Pool, filter: { job?: string; status?: RunStatus }, limit: number): Promise<JobRun[]> {
  const conditions: string[] = [];
  const params: unknown[] = [];
  if (filter.job) {
    conditions.push('job = ?');
    params.push(filter.job);
  }
  if (filter.status) {
    conditions.push('status = ?');
    params.push(filter.status);
  }
  const [rows] = await pool.query<RowDataPacket[]>(
    `SELECT id, job, scheduled_for, started_at, finished_at, status, trigger_kind, error, summary, host FROM job_runs ${conditions.length ? `WHERE ${conditions.join(' AND ')}` : ''}
     ORDER BY scheduled_for DESC, id DESC LIMIT ?`,
    [...params, limit],
  );
  return rows.map((row) => apiRow<JobRun>(row));
}

/** The newest run of each job that was not skipped. */
export async function lastRuns(pool: Pool): Promise<Map<string, JobRun>> {
  const [rows] = await pool.query<RowDataPacket[]>(
    `SELECT r.id, r.job, r.scheduled_for, r.started_at, r.finished_at, r.status, r.trigger_kind, r.error, r.summary, r.host FROM job_runs r
     JOIN (SELECT job, MAX(id) AS id FROM job_runs WHERE status <> 'skipped' GROUP BY job) newest ON newest.id = r.id`,
  );
  return new Map(rows.map((row) => [String(row.job), apiRow<JobRun>(row)]));
}
