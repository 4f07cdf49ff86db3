// How far a consumer group has got through one topic, polled as the benches wait for it: the
// loader's and the search indexer's backlog rounds both end when the group has handled everything.
import type { Bus } from '../pipelines/bus/port.js';

export interface GroupDone {
  /** Messages of the topic the group has committed. */
  handled: number;
  /** Milliseconds from `startedAt` to the first commit, and how many it held (the group's start, said apart). */
  firstMs?: number;
  firstHandled: number;
}

/** Polls every 10 ms until `group` has handled every message of `topic`. */
export async function untilGroupHandledAll(bus: Bus, group: string, topic: string, startedAt: number): Promise<GroupDone> {
  const done: GroupDone = { handled: 0, firstHandled: 0 };
  for (;;) {
    const lag = (await bus.lag(group)).filter((p) => p.topic === topic);
    done.handled = lag.reduce((sum, p) => sum + p.committed, 0);
    if (done.firstMs === undefined && done.handled > 0) [done.firstMs, done.firstHandled] = [performance.now() - startedAt, done.handled];
    if (lag.length > 0 && lag.every((p) => p.lag === 0)) return done;
    await new Promise((r) => setTimeout(r, 10));
  }
}
