// CPU time by thread of this process, for /metrics: which role is using the cores. Node's worker
// threads all carry the process's name, so each announces its OS thread id once it runs
// (announceOsThread) and startThread files it under the thread's name. Linux only (/proc);
// elsewhere the list is empty.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';

/** Linux's clock ticks per second for a task's utime and stime. */
const TICKS_PER_SECOND = 100;

/** The message a thread sends its parent once it runs. */
export interface OsThreadAnnouncement {
  osThreadId: number;
}

const named = new Map<number, string>();

/** This thread's id as the kernel knows it, or undefined without /proc. */
export function osThreadId(): number | undefined {
  try {
    const id = Number(readlinkSync('/proc/thread-self').split('/').pop());
    return Number.isSafeInteger(id) ? id : undefined;
  } catch {
    return undefined;
  }
}

/** Called first thing on a worker thread: its parent learns which OS thread it is. */
export function announceOsThread(): void {
  const id = osThreadId();
  if (id !== undefined) parentPort?.postMessage({ osThreadId: id } satisfies OsThreadAnnouncement);
}

export function isOsThreadAnnouncement(message: unknown): message is OsThreadAnnouncement {
  return typeof message === 'object' && message !== null && Number.isSafeInteger((message as Partial<OsThreadAnnouncement>).osThreadId);
}

export function nameOsThread(id: number, name: string): void {
  named.set(id, name);
}

export function forgetOsThread(id: number): void {
  named.delete(id);
}

export interface ThreadCpu {
  /**
   * `main`, a worker thread's name, `runtime` (Node's own: the garbage collector's helpers,
   * libuv's pool, which also runs chDB's queries) or `native` (threads a native library named:
   * chDB's query and merge pools).
   */
  thread: string;
  seconds: number;
}

/** One live thread of this process as /proc shows it: its id, its name and its user + system CPU seconds. */
export interface TaskCpu {
  id: number;
  name: string;
  seconds: number;
}

/** Every live thread of this process (empty without Linux's /proc). */
export function taskCpu(): TaskCpu[] {
  let tasks: string[];
  try {
    tasks = readdirSync('/proc/self/task');
  } catch {
    return [];
  }
  const out: TaskCpu[] = [];
  for (const task of tasks) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/self/task/${task}/stat`, 'utf8');
    } catch {
      continue; // ended between the listing and the read
    }
    // The name sits in parentheses and may itself hold any character; the fields follow the last ')'.
    const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime, the 12th and 13th fields after the name, in clock ticks.
    out.push({ id: Number(task), name, seconds: (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND });
  }
  return out;
}

/** User + system CPU seconds of the process's live threads, summed by thread name. */
export function threadCpuSeconds(): ThreadCpu[] {
  const tasks = taskCpu();
  const mainName = tasks.find((task) => task.id === process.pid)?.name;
  const ticksBy = new Map<string, number>();
  for (const { id, name, seconds } of tasks) {
    // Node's own threads keep the name the process had when they started; libraries name theirs.
    const thread = id === process.pid ? 'main' : named.get(id) ?? (name === mainName || name === 'node' ? 'runtime' : 'native');
    // Summed in ticks, so the figures stay exact hundredths.
    ticksBy.set(thread, (ticksBy.get(thread) ?? 0) + Math.round(seconds * TICKS_PER_SECOND));
  }
  return [...ticksBy].map(([thread, ticks]) => ({ thread, seconds: ticks / TICKS_PER_SECOND }));
}
