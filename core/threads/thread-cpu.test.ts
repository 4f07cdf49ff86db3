// Each thread's CPU by name, as /metrics shows it: a worker thread that works shows under its own
// name, apart from the main thread and Node's own threads, and goes once it has stopped.
import { describe, expect, it } from 'vitest';
import { startThread } from './start-thread.js';
import { ThreadCalls } from './thread-calls.js';
import { threadCpuSeconds } from './thread-cpu.js';

const cpuOf = (thread: string) => threadCpuSeconds().find((t) => t.thread === thread)?.seconds;

describe.runIf(process.platform === 'linux')('CPU by thread', () => {
  it('counts a worker thread under its name, apart from the main thread, until it stops', async () => {
    const calls = new ThreadCalls(() => startThread(new URL('../../test/fixtures/busy-thread.ts', import.meta.url), 'busy-thread', {}), 'a busy thread');
    const mainBefore = cpuOf('main')!;
    await calls.call('spin', 400);
    const busy = cpuOf('busy-thread');
    expect(busy).toBeGreaterThanOrEqual(0.25);
    // The main thread waited meanwhile: the spin is not counted there.
    expect(cpuOf('main')! - mainBefore).toBeLessThan(busy! - 0.1);
    expect(cpuOf('runtime')).toBeGreaterThanOrEqual(0);
    await calls.close();
    expect(cpuOf('busy-thread')).toBeUndefined();
  });
});
