// The client's tests wait on what a real server received with this (the package imports nothing
// of the platform, its tests included, so it does not borrow the platform's test fixtures).

/** Reads until `done` holds or the time is up, and returns the last value (assert on it). */
export async function until<T>(read: () => Promise<T> | T, done: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 25));
  }
}
