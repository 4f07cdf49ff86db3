// The run ledger in MySQL (job_runs): one row per occurrence, so anyone can see what ran. The
// unique (job, scheduled_for) key makes inserting the row the lock: of several schedulers, the
// one whose insert lands runs the occurrence; the others see it taken.
import type { Pool, ResultSetHeader, RowDataPacket } from '../../marketplace/mysql/connection.js';
import { apiRow } from '../../marketplace/queries/api-row.js';
import type { AbandonedRun, RunningRow } from './abandoned-runs.js';

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
  // Read backwards along (job, scheduled_for) and stop at the first scheduled row: asked every
  // second, this must not grow with the job's history as a MAX over the filtered rows would.
  const [rows] = await pool.query<RowDataPacket[]>(
    "SELECT scheduled_for AS at FROM job_runs WHERE job = ? AND trigger_kind = 'schedule' ORDER BY scheduled_for DESC LIMIT 1", [job],
  );
  const at = rows[0]?.at as string | undefined;
  return at ? fromDatetime(at) : undefined;
}

/** Every run the ledger says is running, for the scheduler to judge which were abandoned. */
export async function runningRuns(pool: Pool): Promise<RunningRow[]> {
  // A consistent (non-locking) read: schedulers claiming occurrences meanwhile are not held up.
  const [rows] = await pool.query<RowDataPacket[]>("SELECT id, job, scheduled_for, started_at, host FROM job_runs WHERE status = 'running'");
  return rows.map((row) => ({
    id: Number(row.id), job: String(row.job), host: String(row.host),
    scheduledFor: fromDatetime(String(row.scheduled_for)), startedAt: fromDatetime(String(row.started_at)),
  }));
}

/**
 * Fails runs whose scheduler died mid-run, each with why it is thought dead. Only rows still
 * running change: a run that ended meanwhile keeps its outcome. The ledger must never say
 * "running" forever.
 */
export async function failAbandoned(pool: Pool, runs: readonly AbandonedRun[], now: Date): Promise<number> {
  let failed = 0;
  for (const run of runs) {
    const [result] = await pool.query<ResultSetHeader>(
      "UPDATE job_runs SET status = 'failed', finished_at = ?, error = ? WHERE id = ? AND status = 'running'", [now, run.error.slice(0, 5000), run.id],
    );
    failed += result.affectedRows;
  }
  return failed;
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
  return rows.map(toJobRun);
}

/** The newest run of each job that was not skipped. */
export async function lastRuns(pool: Pool): Promise<Map<string, JobRun>> {
  const [rows] = await pool.query<RowDataPacket[]>(
    `SELECT r.id, r.job, r.scheduled_for, r.started_at, r.finished_at, r.status, r.trigger_kind, r.error, r.summary, r.host FROM job_runs r
     JOIN (SELECT job, MAX(id) AS id FROM job_runs WHERE status <> 'skipped' GROUP BY job) newest ON newest.id = r.id`,
  );
  return new Map(rows.map((row) => [String(row.job), toJobRun(row)]));
}

/** As the API shows rows, with the occurrence's time in ISO 8601 like the other times (it is UTC too). */
function toJobRun(row: RowDataPacket): JobRun {
  return { ...apiRow<JobRun>(row), scheduled_for: `${String(row.scheduled_for).replace(' ', 'T')}Z` };
}

/** DATETIME text as the connection returns it (UTC, see connection.ts) to a Date. */
function fromDatetime(text: string): Date {
  return new Date(`${text.replace(' ', 'T')}Z`);
}
