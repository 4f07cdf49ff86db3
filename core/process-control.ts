// Signals and waits for server processes we did not necessarily spawn ourselves (a server left
// running by an earlier run is known only by its pid).
import { readFileSync } from 'node:fs';

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A killed process whose parent has not reaped it yet still answers signal 0 (a zombie).
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

/**
 * When the process started (clock ticks since boot, from /proc), or undefined where /proc cannot
 * tell. A pid alone names whichever process has it now: with its start time it names one process,
 * so a lock a killed process left is not taken for a live owner's once its pid is reused.
 */
export function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces and brackets: fields are counted from after its last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** A lock's owner as written (`pid` or `pid:start`): whether that very process still runs. */
export function ownerAlive(owner: string): boolean {
  const [pidText, started] = owner.trim().split(':');
  const pid = Number(pidText);
  if (!Number.isSafeInteger(pid) || pid <= 0 || !isAlive(pid)) return false;
  if (started === undefined) return true;
  const now = startTime(pid);
  return now === undefined || now === started;
}

/** This process as a lock's owner: its pid, and its start time where /proc tells it. */
export function ownerId(pid = process.pid): string {
  const started = startTime(pid);
  return started === undefined ? String(pid) : `${pid}:${started}`;
}

/** The process's command line, or undefined where /proc cannot tell (not Linux, or gone). */
export function commandLine(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return undefined;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await sleep(50);
  }
  return !isAlive(pid);
}

/** SIGTERM (a clean shutdown for mysqld), then SIGKILL if it has not exited in time. */
export async function terminate(pid: number, graceMs = 60_000): Promise<void> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  if (await waitForExit(pid, graceMs)) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return;
  }
  await waitForExit(pid, 5_000);
}
