// Which "running" rows of the ledger have lost their scheduler. Pure: the facts about processes
// and time come in as values. A living scheduler ends every run by its job's time limit, so a row
// still running well past it has no scheduler any more; a row written by a process of this
// machine that no longer exists (a crash, kill -9, a restarted container) has none at once.

export interface RunningRow {
  id: number;
  job: string;
  scheduledFor: Date;
  startedAt: Date;
  /** `<hostname>:<pid>` of the scheduler that claimed it (or whatever it was told to write). */
  host: string;
}

export interface AbandonmentFacts {
  now: Date;
  /** The job's time limit, or undefined when this scheduler does not declare the job. */
  timeLimitMs(job: string): number | undefined;
  /** For jobs not declared here: another version of the code may still run them. */
  undeclaredLimitMs: number;
  /** Allowance past the limit for a scheduler that is busy recording the outcome. */
  graceMs: number;
  /** This machine's name and this process, as a scheduler here writes them into `host`. */
  hostname: string;
  pid: number;
  /** Whether a scheduler in this process holds the occurrence. */
  heldHere(job: string, scheduledFor: Date): boolean;
  /** Whether a process of this machine exists. */
  processAlive(pid: number): boolean;
}

export interface AbandonedRun {
  id: number;
  error: string;
}

export function abandonedRuns(rows: readonly RunningRow[], facts: AbandonmentFacts): AbandonedRun[] {
  const found: AbandonedRun[] = [];
  for (const row of rows) {
    const because = processGone(row, facts) ?? pastLimit(row, facts);
    if (because) found.push({ id: row.id, error: `abandoned: the scheduler on ${row.host} stopped while running it (${because})` });
  }
  return found;
}

function processGone(row: RunningRow, facts: AbandonmentFacts): string | undefined {
  const colon = row.host.lastIndexOf(':');
  const pid = Number(row.host.slice(colon + 1));
  if (colon < 0 || row.host.slice(0, colon) !== facts.hostname || !/^\d+$/.test(row.host.slice(colon + 1))) return undefined;
  // Same process id as ours: an earlier life of this process's id (a restarted container is pid 1
  // again), unless one of our schedulers holds it.
  if (pid === facts.pid) return facts.heldHere(row.job, row.scheduledFor) ? undefined : `process ${pid} has restarted since`;
  return facts.processAlive(pid) ? undefined : `process ${pid} is gone`;
}

function pastLimit(row: RunningRow, facts: AbandonmentFacts): string | undefined {
  const limitMs = facts.timeLimitMs(row.job) ?? facts.undeclaredLimitMs;
  const runningMs = facts.now.getTime() - row.startedAt.getTime();
  if (runningMs <= limitMs + facts.graceMs) return undefined;
  return `still "running" ${Math.round(runningMs / 60_000)} min after it started, past its time limit of ${limitMs / 1000} s`;
}
