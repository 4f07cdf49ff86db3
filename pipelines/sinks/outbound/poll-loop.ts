/**
 * Runs `tick` again `pollMs` after each run that found nothing (at once after one that did), until
 * stop(); stop() waits for the run in hand.
 * A failing tick is reported and the loop goes on (the rows it could not handle stay due).
 */
export class PollLoop {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly tick: () => Promise<unknown>, private readonly pollMs: number, private readonly onError: (error: unknown) => void) {}

  start(): void {
    const loop = async () => {
      if (this.stopped) return;
      let found = false;
      this.running = this.tick().then((result) => {
        found = (typeof result === 'number' && result > 0) || (Array.isArray(result) && result.length > 0);
      }, this.onError);
      await this.running;
      // A tick that found work is followed at once: under a backlog the sender runs flat out
      // instead of pausing between batches; an idle queue is polled every pollMs.
      if (!this.stopped) this.timer = setTimeout(() => void loop(), found ? 0 : this.pollMs);
    };
    void loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }
}
