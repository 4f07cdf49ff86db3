// Writes at a steady rate from several concurrent workers: write i is due i/rate seconds after the
// start, and a worker that is ahead waits for it. Latencies are then measured under a known load,
// not a burst.

/** Runs `write(0..total-1)` at `ratePerSecond` over `workers`; resolves with the start (performance.now()). */
export async function pacedWrites(options: { total: number; ratePerSecond: number; workers: number }, write: (i: number) => Promise<void>): Promise<number> {
  let next = 0;
  const start = performance.now();
  await Promise.all(Array.from({ length: options.workers }, async () => {
    for (;;) {
      const i = next++;
      if (i >= options.total) return;
      const due = start + (i * 1000) / options.ratePerSecond;
      if (due > performance.now()) await new Promise((r) => setTimeout(r, due - performance.now()));
      await write(i);
    }
  }));
  return start;
}
