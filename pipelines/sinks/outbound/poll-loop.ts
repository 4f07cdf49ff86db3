/**
 * Runs `tick` again `pollMs` after each run ends, until stop(); stop() waits for the run in hand.
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
      this.running = this.tick().then(() => undefined, this.onError);
      await this.running;
      if (!this.stopped) this.timer = setTimeout(() => void loop(), this.pollMs);
    };
    void loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }
}
