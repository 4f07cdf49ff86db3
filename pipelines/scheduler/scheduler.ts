// Runs declared jobs on their schedule. Every occurrence is claimed in the MySQL ledger first, so
// any number of schedulers can run against one database and each occurrence runs once; a run over
// its time limit is aborted and marked timed_out; occurrences missed while no scheduler ran are
// caught up or skipped per job; a run whose scheduler died is marked failed by the next one.
import { hostname } from 'node:os';
import { isAlive } from '../../core/process-control.js';
import type { Logger } from '../../core/log.js';
import type { RoleReporter } from '../../core/role-health.js';
import type { Pool } from '../../marketplace/mysql/connection.js';
import type { ScheduledJob } from './job.js';
import { abandonedRuns } from './abandoned-runs.js';
import { claimRun, failAbandoned, finishRun, lastScheduled, recordSkipped, runningRuns, type RunStatus } from './ledger.js';
import { checkSchedule, nextOccurrence, occurrencesBetween, planDue } from './occurrences.js';

export interface SchedulerOptions {
  pool: Pool;
  jobs: readonly ScheduledJob[];
  log: Logger;
  /** Default the wall clock; tests move their own. */
  clock?: () => Date;
  /** How often the ledger is checked for due occurrences. Default 1 s. */
  tickMs?: number;
  /** An occurrence due for longer than this was missed (it follows the job's policy). Default 60 s. */
  lateAfterMs?: number;
  /** Recorded in the ledger as who ran it. Default the host name and process id. */
  host?: string;
  /** Told of every failed and succeeded pass: a failing scheduler shows degraded and backs off. */
  health?: RoleReporter;
}

export interface RunOutcome {
  id: number;
  status: Exclude<RunStatus, 'running' | 'skipped'>;
  error?: string;
  summary?: string;
}

/** How long past its time limit a "running" row must be before another scheduler calls it abandoned. */
const ABANDONED_GRACE_MS = 60_000;
/** The limit assumed for a running job no scheduler here declares (removed, or from newer code). */
const UNDECLARED_LIMIT_MS = 24 * 3_600_000;
/** How often the ledger is searched for abandoned runs (the first pass always does). */
const ABANDONED_CHECK_EVERY_MS = 60_000;

// Symbols, not strings: a job's own summary could be any string.
const TIMED_OUT = Symbol('timed out');
const ABORTED = Symbol('aborted');

/**
 * Occurrences held by any scheduler in this process. Process-wide, not per scheduler: a scheduler
 * must not take a run of its neighbour in the same process for one a dead process left behind.
 */
const heldInThisProcess = new Set<string>();
const occurrenceKey = (job: string, scheduledFor: Date) => `${job}\n${scheduledFor.toISOString()}`;

export class Scheduler {
  private readonly clock: () => Date;
  private readonly host: string;
  private readonly running = new Map<number, { controller: AbortController; done: Promise<RunOutcome> }>();
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private stopped = false;
  private abandonedCheckedAt: number | undefined;

  constructor(private readonly options: SchedulerOptions) {
    for (const job of options.jobs) checkSchedule(job);
    const names = options.jobs.map((job) => job.name);
    const twice = names.find((name, i) => names.indexOf(name) !== i);
    if (twice) throw new Error(`job ${twice} is declared twice`);
    this.clock = options.clock ?? (() => new Date());
    this.host = options.host ?? `${hostname()}:${process.pid}`.slice(0, 255);
  }

  get jobs(): readonly ScheduledJob[] {
    return this.options.jobs;
  }

  job(name: string): ScheduledJob | undefined {
    return this.options.jobs.find((job) => job.name === name);
  }

  start(): void {
    const health = this.options.health;
    const loop = () => {
      let backoffMs: number | undefined;
      this.ticking = this.tick()
        .then(() => health?.succeeded(), (error: unknown) => {
          if (health) backoffMs = health.failed(error);
          else this.options.log.error({ err: error }, 'scheduler tick failed');
        })
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(loop, backoffMs ?? this.options.tickMs ?? 1000);
        });
    };
    loop();
  }

  /**
   * Stops scheduling, lets running jobs finish for up to `graceMs`, then aborts them: they are
   * recorded as failed with `reason` at once, whether or not the job heeds its signal.
   */
  async stop(graceMs = 10_000, reason = 'the scheduler is stopping'): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.ticking;
    const runs = [...this.running.values()];
    const finished = Promise.all(runs.map((run) => run.done));
    const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), graceMs).unref());
    if ((await Promise.race([finished, timeout])) === 'timeout') {
      for (const run of runs) run.controller.abort(new Error(reason));
      await finished;
    }
  }

  /** One pass: fails abandoned runs, records skipped occurrences, starts due ones (without waiting for them). */
  async tick(): Promise<void> {
    await this.failAbandonedRuns();
    for (const job of this.options.jobs) {
      if (this.stopped) return;
      const now = this.clock();
      const lateAfterMs = this.options.lateAfterMs ?? 60_000;
      // A job the ledger has never seen starts with an occurrence due now or the next one: a new
      // scheduler does not replay history.
      const last = await lastScheduled(this.options.pool, job.name) ?? new Date(now.getTime() - lateAfterMs);
      const plan = planDue(job.missed, occurrencesBetween(job, last, now), now, lateAfterMs);
      if (plan.skip.length > 0) {
        await recordSkipped(this.options.pool, job.name, plan.skip, this.host, now);
        this.options.log.warn({ job: job.name, skipped: plan.skip.length, from: plan.skip[0], to: plan.skip.at(-1) }, 'occurrences missed while no scheduler ran: recorded as skipped');
      }
      if (plan.run) await this.runOccurrence(job, plan.run, 'schedule');
    }
  }

  /** Marks runs whose scheduler died as failed; at most once a minute, it reads every running row. */
  private async failAbandonedRuns(): Promise<void> {
    const now = this.clock();
    if (this.abandonedCheckedAt !== undefined && now.getTime() - this.abandonedCheckedAt < ABANDONED_CHECK_EVERY_MS) return;
    this.abandonedCheckedAt = now.getTime();
    const abandoned = abandonedRuns(await runningRuns(this.options.pool), {
      now,
      timeLimitMs: (name) => this.job(name)?.timeLimitMs,
      undeclaredLimitMs: UNDECLARED_LIMIT_MS,
      graceMs: ABANDONED_GRACE_MS,
      hostname: hostname(),
      pid: process.pid,
      heldHere: (name, scheduledFor) => heldInThisProcess.has(occurrenceKey(name, scheduledFor)),
      processAlive: isAlive,
    });
    if (abandoned.length === 0) return;
    const failed = await failAbandoned(this.options.pool, abandoned, now);
    if (failed > 0) this.options.log.warn({ runs: abandoned.slice(0, 10) }, `marked ${failed} run(s) whose scheduler stopped as failed`);
  }

  /** Runs a job now, outside its schedule (`steveslist jobs run`), and waits for it. */
  async runNow(name: string): Promise<RunOutcome> {
    const job = this.job(name);
    if (!job) throw new Error(`no job named ${name}`);
    const started = await this.runOccurrence(job, this.clock(), 'manual');
    if (!started) throw new Error(`job ${name}: this moment was claimed already; try again`);
    return started;
  }

  /** When the job runs next after `after` (default now). */
  nextRun(job: ScheduledJob, after = this.clock()): Date | undefined {
    return nextOccurrence(job, after);
  }

  /** Claims the occurrence and starts it; resolves when it has started (with a promise of its outcome) or was taken. */
  private async runOccurrence(job: ScheduledJob, scheduledFor: Date, trigger: 'schedule' | 'manual'): Promise<RunOutcome | undefined> {
    // Held before the claim lands, so no neighbour in this process sees the row unheld.
    const key = occurrenceKey(job.name, scheduledFor);
    heldInThisProcess.add(key);
    let id: number | undefined;
    try {
      id = await claimRun(this.options.pool, job.name, scheduledFor, this.host, this.clock(), trigger);
    } finally {
      if (id === undefined) heldInThisProcess.delete(key);
    }
    if (id === undefined) return undefined;
    const runId = id;
    const controller = new AbortController();
    const log = this.options.log.child({ job: job.name, run: runId });
    const done = this.execute(job, runId, scheduledFor, controller, log).finally(() => {
      this.running.delete(runId);
      heldInThisProcess.delete(key);
    });
    this.running.set(runId, { controller, done });
    // Scheduled runs go on in the background; a run by hand is waited for.
    if (trigger === 'schedule') {
      void done;
      return undefined;
    }
    return done;
  }

  private async execute(job: ScheduledJob, id: number, scheduledFor: Date, controller: AbortController, log: Logger): Promise<RunOutcome> {
    log.info({ scheduledFor }, 'job started');
    let timer: NodeJS.Timeout | undefined;
    const overTime = new Promise<typeof TIMED_OUT>((resolve) => {
      timer = setTimeout(() => resolve(TIMED_OUT), job.timeLimitMs);
    });
    // A job that ignores its signal must not hold the scheduler: once aborted (the scheduler
    // stopping), the run is over as far as the ledger is concerned.
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<typeof ABORTED>((resolve) => {
      onAbort = () => resolve(ABORTED);
      controller.signal.addEventListener('abort', onAbort, { once: true });
    });
    let outcome: RunOutcome;
    try {
      const result = await Promise.race([job.run({ scheduledFor, signal: controller.signal, log }), overTime, aborted]);
      if (result === TIMED_OUT) {
        controller.abort(new Error(`over its time limit of ${job.timeLimitMs / 1000} s`));
        outcome = { id, status: 'timed_out', error: `stopped after its time limit of ${job.timeLimitMs / 1000} s` };
      } else if (result === ABORTED) {
        outcome = { id, status: 'failed', error: `aborted: ${reasonOf(controller.signal.reason)}` };
      } else {
        outcome = { id, status: 'succeeded', summary: result ?? undefined };
      }
    } catch (error) {
      outcome = { id, status: 'failed', error: controller.signal.aborted ? `aborted: ${reasonOf(controller.signal.reason)}` : reasonOf(error) };
    } finally {
      clearTimeout(timer);
      controller.signal.removeEventListener('abort', onAbort!);
    }
    await finishRun(this.options.pool, id, outcome.status, this.clock(), { error: outcome.error, summary: outcome.summary }).catch((error: unknown) => {
      log.error({ err: error }, 'could not record the outcome of a job run');
    });
    if (outcome.status === 'succeeded') log.info({ summary: outcome.summary }, 'job succeeded');
    else log.error({ status: outcome.status, error: outcome.error }, 'job did not succeed');
    return outcome;
  }
}

/** An error's message; something thrown that is not an Error still says what it was. */
function reasonOf(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return typeof error === 'string' ? error : `a non-error was thrown: ${String(error)}`;
}
