import type { RoleReporter } from '../../../core/role-health.js';

/**
 * Runs `tick` again `pollMs` after each run that found nothing (at once after one that did, or when
 * woken), until stop(); stop() waits for the run in hand.
 * A failing tick is reported and the loop goes on (the rows it could not handle stay due); with a
 * `health` reporter, the next tick waits for the reporter's backoff and only it logs the failure.
 */
export class PollLoop {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  /** wake() came while a tick ran: run again as soon as it ends. */
  private woken = false;
  private loop: (() => Promise<void>) | undefined;
  /** The last tick failed: the next waits out the backoff, whatever wakes it. */
  private failing = false;

  constructor(
    private readonly tick: () => Promise<unknown>,
    private readonly pollMs: number,
    private readonly onError: (error: unknown) => void,
    private readonly health?: RoleReporter,
  ) {}

  start(): void {
    const loop = async () => {
      if (this.stopped) return;
      this.timer = undefined;
      this.woken = false;
      let found = false;
      let backoffMs: number | undefined;
      this.running = this.tick().then((result) => {
        found = (typeof result === 'number' && result > 0) || (Array.isArray(result) && result.length > 0);
        this.health?.succeeded();
      }, (error: unknown) => {
        if (this.health) backoffMs = this.health.failed(error);
        else this.onError(error);
      });
      await this.running;
      this.failing = backoffMs !== undefined;
      // A tick that found work is followed at once: under a backlog the sender runs flat out
      // instead of pausing between batches; an idle queue is polled every pollMs.
      this.running = undefined;
      if (!this.stopped) this.timer = setTimeout(() => void loop(), backoffMs ?? (found || this.woken ? 0 : this.pollMs));
    };
    this.loop = loop;
    void loop();
  }

  /** Started and not stopped. */
  active(): boolean {
    return this.loop !== undefined && !this.stopped;
  }

  /** Runs the next tick now instead of after the poll interval (after the tick in hand, if one runs). */
  wake(): void {
    if (this.stopped || !this.loop || this.failing) return;
    if (this.running) {
      this.woken = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.loop?.(), 0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }
}
