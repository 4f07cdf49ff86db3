// CPU time by thread of this process, from /proc (Linux): a bench with work on several threads
// says which one limits it. Threads all carry the process's name, so they are told apart by id.
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100;

export type ThreadCpu = Map<number, number>;

/** Each thread's user + system CPU so far, in microseconds (empty where /proc is not Linux's). */
export function threadCpu(): ThreadCpu {
  const cpu: ThreadCpu = new Map();
  let tasks: string[];
  try {
    tasks = readdirSync('/proc/self/task');
  } catch {
    return cpu;
  }
  for (const task of tasks) {
    try {
      // Fields after the command's closing parenthesis: utime and stime are the 12th and 13th.
      const fields = readFileSync(`/proc/self/task/${task}/stat`, 'utf8').split(') ')[1]!.split(' ');
      cpu.set(Number(task), ((Number(fields[11]) + Number(fields[12])) * 1e6) / TICKS_PER_SECOND);
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return cpu;
}

/** The main thread's CPU since `before`, and the busiest other thread's. */
export function busiestThreads(before: ThreadCpu): { mainUs: number; otherUs: number } {
  const after = threadCpu();
  let otherUs = 0;
  for (const [id, us] of after) if (id !== process.pid) otherUs = Math.max(otherUs, us - (before.get(id) ?? 0));
  return { mainUs: (after.get(process.pid) ?? 0) - (before.get(process.pid) ?? 0), otherUs };
}
