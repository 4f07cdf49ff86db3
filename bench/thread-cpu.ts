// CPU time by thread of this process (the platform's own reading of /proc, Linux): a bench with
// work on several threads says which one limits it. Threads all carry the process's name, so they
// are told apart by id.
import { taskCpu } from '../core/threads/thread-cpu.js';

export type ThreadCpu = Map<number, number>;

/** Each thread's user + system CPU so far, in microseconds (empty where /proc is not Linux's). */
export function threadCpu(): ThreadCpu {
  return new Map(taskCpu().map((task) => [task.id, task.seconds * 1e6]));
}

/** The main thread's CPU since `before`, and the busiest other thread's. */
export function busiestThreads(before: ThreadCpu): { mainUs: number; otherUs: number } {
  const after = threadCpu();
  let otherUs = 0;
  for (const [id, us] of after) if (id !== process.pid) otherUs = Math.max(otherUs, us - (before.get(id) ?? 0));
  return { mainUs: (after.get(process.pid) ?? 0) - (before.get(process.pid) ?? 0), otherUs };
}
