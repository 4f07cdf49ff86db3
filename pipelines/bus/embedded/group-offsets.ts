// Committed offsets of one consumer group, kept in a small JSON file replaced atomically
// (write, fsync, rename). Commits are coalesced: a crash can only lose the newest commits,
// which means redelivery (at-least-once), never a skipped message.
import { existsSync, readFileSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { join } from 'node:path';

export class GroupOffsets {
  private readonly offsets: Map<string, number>;
  private dirty = false;
  private writing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly path: string, private readonly flushDelayMs = 50) {
    this.offsets = new Map(existsSync(path) ? Object.entries(JSON.parse(readFileSync(path, 'utf8')) as Record<string, number>) : []);
  }

  static pathFor(dir: string, group: string): string {
    return join(dir, `${encodeURIComponent(group)}.json`);
  }

  get(topic: string, partition: number): number | undefined {
    return this.offsets.get(`${topic}/${partition}`);
  }

  entries(): { topic: string; partition: number; offset: number }[] {
    return [...this.offsets].map(([key, offset]) => {
      const slash = key.lastIndexOf('/');
      return { topic: key.slice(0, slash), partition: Number(key.slice(slash + 1)), offset };
    });
  }

  /** Records that everything below `offset` was handled; persisted within flushDelayMs. */
  commit(topic: string, partition: number, offset: number): void {
    this.offsets.set(`${topic}/${partition}`, offset);
    this.dirty = true;
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.flushDelayMs);
  }

  async flush(): Promise<void> {
    while (this.writing) await this.writing;
    if (!this.dirty) return;
    this.dirty = false;
    const body = JSON.stringify(Object.fromEntries(this.offsets));
    this.writing = (async () => {
      const tmp = `${this.path}.tmp`;
      const handle = await open(tmp, 'w');
      try {
        await handle.writeFile(body);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(tmp, this.path);
    })();
    try {
      await this.writing;
    } finally {
      this.writing = undefined;
    }
  }

  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.flush();
  }
}
