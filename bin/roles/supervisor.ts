// Runs the roles of one process so that none takes the others down: a role's unexpected failure is
// logged once with its cause, the role is restarted with backoff (1 s doubling to 60 s) and shows
// degraded on /health meanwhile, until a new instance has worked for a while (a role that fails
// again a second after each restart is crash-looping, not recovered). Only a configuration or
// environment error that no restart can fix (stopsThePlatform) ends the process, through `fatal`,
// with the message naming the setting.
import { stopsThePlatform } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { RoleHealth, type FailureLine, type RoleReporter, type RoleStatus, type Transition } from '../../core/role-health.js';

/** A role the supervisor can restart: `done` settles when it ends (rejecting when it failed). */
export interface Restartable {
  readonly done: Promise<void>;
  stop(): Promise<void>;
}

export interface SupervisedRole<T> {
  /** The instance running now (a new one after each restart). */
  current(): T;
  stop(): Promise<void>;
}

export interface SuperviseOptions<T> {
  /** Whether a restarted instance is working again (polled each second); default: once started. */
  healthy?: (instance: T) => boolean;
}

/** Ended without being asked to stop: as unexpected as a failure. */
class EndedOnItsOwn extends Error {}

const HEALTHY_POLL_MS = 1000;
/**
 * How long a restarted instance must have worked before the role counts as recovered and its
 * backoff starts over. Change capture read again within a second of each restart and then failed
 * on its first publish: judged by the first poll, it showed ok most of the time while it caught up
 * nothing, and its backoff never grew past a few seconds.
 */
export const STABLE_MS = 10_000;

export class Supervisor {
  readonly health: RoleHealth;
  /** Rejects with the first failure that must stop the platform; never resolves. */
  readonly fatal: Promise<never>;
  private failFatal!: (error: unknown) => void;
  private stopping = false;
  private readonly stableMs: number;

  constructor(private readonly log: Logger, options: { deadLetterWindowMs: number; initialBackoffMs?: number; maxBackoffMs?: number; stableMs?: number }) {
    this.health = new RoleHealth(options);
    this.stableMs = options.stableMs ?? STABLE_MS;
    this.fatal = new Promise<never>((_resolve, reject) => {
      this.failFatal = reject;
    });
    // Whoever runs the platform awaits `fatal`; it must not also surface as unhandled.
    this.fatal.catch(() => undefined);
  }

  list(): RoleStatus[] {
    return this.health.list();
  }

  /** For a role that retries on its own (a consumer group, a poll loop): reports and logs its attempts. */
  reporter(role: string, group?: string): RoleReporter {
    this.health.register(role, group);
    const log = this.log.child(group ? { role, group } : { role });
    return {
      failed: (error, line) => {
        // A role cut off by the shutdown (its pool closed under it) waits like any other, but is not news.
        if (this.stopping) return this.health.failed(role, error).delayMs;
        if (stopsThePlatform(error)) this.stopPlatform(role, error);
        const { transition, delayMs, attempt } = this.health.failed(role, error);
        if (line) this.logAttempt(log, transition, error, line, delayMs);
        else this.logFailure(log, transition, error, attempt, delayMs, 'retries');
        return delayMs;
      },
      succeeded: () => this.logRecovery(log, this.health.succeeded(role)),
      noted: (detail) => this.health.note(role, detail),
      deadLettered: (count, firstError) => {
        const { transition } = this.health.deadLettered(role, count, firstError);
        if (transition === 'degraded') log.error({ err: firstError, deadLettered: count }, `${role} is dead-lettering messages; /health shows it degraded`);
      },
    };
  }

  /**
   * Starts a role that runs until it fails (change capture) and starts it again after each
   * failure, with backoff, until stop().
   */
  supervise<T extends Restartable>(role: string, start: () => T, options: SuperviseOptions<T> = {}): SupervisedRole<T> {
    this.health.register(role);
    const log = this.log.child({ role });
    const healthy = options.healthy ?? (() => true);
    let instance = start();
    let stopped = false;
    let cancelWait: () => void = () => undefined;
    const waitMs = (ms: number) => new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      cancelWait = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

    const run = async () => {
      for (;;) {
        const failure = await instance.done.then(() => new EndedOnItsOwn(`${role} ended without being asked to stop`), (error: unknown) => error);
        if (stopped || this.stopping) return;
        if (stopsThePlatform(failure)) {
          this.stopPlatform(role, failure);
          return;
        }
        const { transition, delayMs, attempt } = this.health.failed(role, failure);
        this.logFailure(log, transition, failure, attempt, delayMs, 'restarts');
        await waitMs(delayMs);
        if (stopped || this.stopping) return;
        this.health.restarted(role);
        instance = start();
        // Ok again once the new instance has worked (for change capture: it is reading) for
        // stableMs without a break, unless it fails first.
        const started = instance;
        const pollMs = Math.min(HEALTHY_POLL_MS, Math.max(10, this.stableMs / 4));
        void (async () => {
          let workingSince: number | undefined;
          for (;;) {
            await sleep(pollMs);
            if (stopped || started !== instance) return;
            if (!healthy(started)) workingSince = undefined;
            else if ((workingSince ??= Date.now()) + this.stableMs <= Date.now()) break;
          }
          this.logRecovery(log, this.health.succeeded(role));
        })();
      }
    };
    const running = run();

    return {
      current: () => instance,
      stop: async () => {
        stopped = true;
        cancelWait();
        await instance.stop();
        await running;
      },
    };
  }

  /** Stops restarting anything: the platform is shutting down. */
  shutdown(): void {
    this.stopping = true;
  }

  private stopPlatform(role: string, error: unknown): void {
    this.log.error({ role, err: error }, `${role} failed in a way no restart can fix; stopping the platform`);
    this.failFatal(error);
  }

  /**
   * The cause once, with its stack, when the role turns degraded. While it keeps failing: one short
   * line per restart of a supervised role, nothing above debug for a role that retries on its own
   * (it logs its attempts itself).
   */
  private logFailure(log: Logger, transition: Transition, error: unknown, attempt: number, delayMs: number, kind: 'restarts' | 'retries'): void {
    const seconds = Math.round(delayMs / 100) / 10;
    const next = kind === 'restarts' ? `restarting it in ${seconds} s` : 'it retries on its own';
    if (transition === 'degraded') log.error({ err: error, attempt, retryInMs: delayMs }, `role failed; ${next} (/health shows it degraded meanwhile)`);
    else log[kind === 'restarts' ? 'warn' : 'debug']({ error: (error as Error)?.message ?? String(error), attempt, retryInMs: delayMs }, `role still failing; ${next}`);
  }

  /** A role's own line for a failed attempt (a batch, a start): one line, the stack only the first time. */
  private logAttempt(log: Logger, transition: Transition, error: unknown, line: FailureLine, delayMs: number): void {
    const wait = 'waitMs' in line.fields ? {} : { retryInMs: delayMs };
    if (transition === 'degraded') log.error({ ...line.fields, ...wait, err: error }, `${line.message} (/health shows the role degraded meanwhile)`);
    else log.warn({ ...line.fields, ...wait, error: (error as Error)?.message ?? String(error) }, line.message);
  }

  private logRecovery(log: Logger, { transition, degradedForMs }: { transition: Transition; degradedForMs: number }): void {
    if (transition === 'recovered') log.info({ degradedForMs }, 'role recovered');
  }
}
