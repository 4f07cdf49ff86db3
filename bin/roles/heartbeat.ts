// A role without an HTTP port shows it is alive by rewriting a small file while it can still reach
// what it works on (for a worker: its consumer group's lag, read from the bus). A container health
// check then only has to look at the file's age: a stuck process or an unreachable bus goes stale.
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger } from '../../core/log.js';

export const HEARTBEAT_EVERY_MS = 15_000;

export interface Heartbeat {
  stop(): Promise<void>;
}

/** Beats once before returning (so the file exists when the role says it runs), then every `everyMs`. */
export async function startHeartbeat(path: string, probe: () => Promise<Record<string, unknown>>, log: Logger, everyMs = HEARTBEAT_EVERY_MS): Promise<Heartbeat> {
  mkdirSync(dirname(path), { recursive: true });
  let failing = false;
  let beating: Promise<void> = Promise.resolve();
  const beat = async () => {
    try {
      const status = await probe();
      // Written aside and renamed, so a health check never reads half a file.
      writeFileSync(`${path}.tmp`, `${JSON.stringify({ ...status, at: new Date().toISOString(), pid: process.pid })}\n`);
      renameSync(`${path}.tmp`, path);
      if (failing) log.info({ heartbeat: path }, 'heartbeat resumed');
      failing = false;
    } catch (error) {
      // Not written: the file ages and the health check reports the role unhealthy.
      if (!failing) log.warn({ heartbeat: path, err: error }, 'heartbeat probe failed; the health file goes stale until it succeeds');
      failing = true;
    }
  };
  await beat();
  let inFlight = false;
  const timer = setInterval(() => {
    if (inFlight) return;
    inFlight = true;
    beating = beat().finally(() => {
      inFlight = false;
    });
  }, everyMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await beating;
      rmSync(path, { force: true });
    },
  };
}
