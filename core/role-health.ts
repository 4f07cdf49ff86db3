// The health of the roles running in this process (change capture, each consumer group, the
// scheduler, the outbound senders), as /health, /admin/pipeline and /metrics report it: which role
// is degraded, why, since when, and how often it was restarted. Pure state over a clock; the
// supervisor (bin/roles/supervisor.ts) logs and restarts, this only remembers and answers.
import { errorCode } from './errors.js';

export const RESTART_INITIAL_MS = 1000;
export const RESTART_MAX_MS = 60_000;

/**
 * The wait before restart number `attempt` (1 for the first): doubling from `initialMs`, capped at
 * `maxMs`, so a role that fails at once costs a try a minute at most, not a busy loop.
 */
export function restartDelayMs(attempt: number, initialMs = RESTART_INITIAL_MS, maxMs = RESTART_MAX_MS): number {
  return Math.min(maxMs, initialMs * 2 ** Math.max(0, attempt - 1));
}

/** A failed attempt as the role would log it; `waitMs` in the fields: the role's own wait. */
export interface FailureLine {
  message: string;
  fields: Record<string, unknown>;
}

/** How a role that handles its own errors tells the supervisor about each attempt. */
export interface RoleReporter {
  /**
   * An attempt failed; returns how long to wait before the next one. With `line` (what failed, in
   * the role's words and fields) the reporter logs the one line for it: the first of a run of
   * failures as an error with its stack, the rest as warnings. Without, only the first is logged.
   */
  failed(error: unknown, line?: FailureLine): number;
  /** An attempt succeeded: a failing role has recovered. */
  succeeded(): void;
  /** `count` messages went to the dead-letter topic; `firstError` is why the first did. */
  deadLettered(count: number, firstError: unknown): void;
  /** What the role works from now (e.g. which source its data came from), shown with its status until noted again; undefined clears it. */
  noted?(detail: string | undefined): void;
}

export interface RoleStatus {
  role: string;
  /** The consumer group, for a consumer role. */
  group?: string;
  status: 'ok' | 'degraded';
  /** While degraded: the latest failure's message and code. */
  error?: string;
  code?: string;
  /** While degraded: when it turned so (ISO time). */
  since?: string;
  /** How often the role was started again after failing, since this process started (change capture; the others retry in place). */
  restarts: number;
  /** Failed attempts since this process started (for a consumer: failed batch attempts). */
  failures: number;
  /** Messages this process dead-lettered for the role's group. */
  dead_letters: number;
  last_dead_letter_at?: string;
  /** The role's latest note on what it works from, ok or degraded. */
  detail?: string;
}

interface RoleState {
  role: string;
  group?: string;
  /** Failed attempts in a row; 0 when the last attempt succeeded. */
  consecutive: number;
  /** When it last turned degraded, kept until it turns ok again. */
  degradedAt?: number;
  error?: { message: string; code: string };
  restarts: number;
  failures: number;
  deadLetters: number;
  lastDeadLetterAt?: number;
  detail?: string;
}

/** What a change of state means for the log: only transitions are worth a line. */
export type Transition = 'degraded' | 'still-degraded' | 'recovered' | 'unchanged';

export interface RoleHealthOptions {
  /** How long a dead letter keeps its group degraded (HEALTH_DEAD_LETTER_WINDOW_SECONDS). */
  deadLetterWindowMs: number;
  clock?: () => number;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
}

export class RoleHealth {
  private readonly roles = new Map<string, RoleState>();
  private readonly clock: () => number;

  constructor(private readonly options: RoleHealthOptions) {
    this.clock = options.clock ?? Date.now;
  }

  /** Makes the role known (reported ok) before it has done anything. */
  register(role: string, group?: string): void {
    if (!this.roles.has(role)) this.roles.set(role, { role, group, consecutive: 0, restarts: 0, failures: 0, deadLetters: 0 });
  }

  failed(role: string, error: unknown): { transition: Transition; delayMs: number; attempt: number } {
    const state = this.state(role);
    const wasDegraded = this.isDegraded(state);
    state.consecutive++;
    state.failures++;
    state.error = describe(error);
    if (!wasDegraded) state.degradedAt = this.clock();
    const delayMs = restartDelayMs(state.consecutive, this.options.initialBackoffMs, this.options.maxBackoffMs);
    return { transition: wasDegraded ? 'still-degraded' : 'degraded', delayMs, attempt: state.consecutive };
  }

  /** The role was started again after a failure. */
  restarted(role: string): void {
    this.state(role).restarts++;
  }

  succeeded(role: string): { transition: Transition; degradedForMs: number } {
    const state = this.state(role);
    const wasDegraded = this.isDegraded(state);
    const degradedForMs = state.degradedAt === undefined ? 0 : this.clock() - state.degradedAt;
    state.consecutive = 0;
    const recovered = wasDegraded && !this.isDegraded(state);
    return { transition: recovered ? 'recovered' : 'unchanged', degradedForMs };
  }

  deadLettered(role: string, count: number, firstError: unknown): { transition: Transition } {
    const state = this.state(role);
    const wasDegraded = this.isDegraded(state);
    state.deadLetters += count;
    state.lastDeadLetterAt = this.clock();
    state.error = describe(firstError);
    if (!wasDegraded) state.degradedAt = this.clock();
    return { transition: wasDegraded ? 'still-degraded' : 'degraded' };
  }

  note(role: string, detail: string | undefined): void {
    this.state(role).detail = detail;
  }

  list(): RoleStatus[] {
    return [...this.roles.values()].map((state) => {
      const degraded = this.isDegraded(state);
      return {
        role: state.role,
        ...(state.group === undefined ? {} : { group: state.group }),
        status: degraded ? 'degraded' : 'ok',
        ...(degraded && state.error ? { error: state.error.message, code: state.error.code } : {}),
        ...(degraded && state.degradedAt !== undefined ? { since: new Date(state.degradedAt).toISOString() } : {}),
        restarts: state.restarts,
        failures: state.failures,
        dead_letters: state.deadLetters,
        ...(state.lastDeadLetterAt === undefined ? {} : { last_dead_letter_at: new Date(state.lastDeadLetterAt).toISOString() }),
        ...(state.detail === undefined ? {} : { detail: state.detail }),
      };
    });
  }

  /** Degraded while its last attempt failed, or while a dead letter is younger than the window. */
  private isDegraded(state: RoleState): boolean {
    if (state.consecutive > 0) return true;
    return state.lastDeadLetterAt !== undefined && this.clock() - state.lastDeadLetterAt < this.options.deadLetterWindowMs;
  }

  private state(role: string): RoleState {
    this.register(role);
    return this.roles.get(role)!;
  }
}

function describe(error: unknown): { message: string; code: string } {
  const message = error instanceof Error ? error.message : String(error);
  // The first line is enough for a status page; the log has the rest.
  return { message: message.split('\n')[0]!.slice(0, 500), code: errorCode(error) };
}
