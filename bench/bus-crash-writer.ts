// Writes to a bus as capture does (fsync always, two topics of four partitions, ~1 KB changes)
// until it is killed, saying on stdout how many bytes it has written: the bus's open after a
// kill -9 is timed on what this leaves (bus.ts).
import { EmbeddedBus } from '../pipelines/bus/embedded/index.js';

const [dir, checkpointEveryBytes] = [process.argv[2]!, Number(process.argv[3])];
const bus = await EmbeddedBus.open({ dir, defaultPartitions: 4, segmentBytes: 64 << 20, fsync: 'always', fsyncIntervalMs: 100, retentionBytes: 1 << 40, retentionMs: 1e12, checkpointEveryBytes });
const value = JSON.stringify({ before: null, after: { id: 1, title: 'x'.repeat(900) }, op: 'c' });
let written = 0;
for (let id = 0; ; id += 200) {
  const batch = Array.from({ length: 200 }, (_, i) => ({ key: `{"id":${id + i}}`, value }));
  await Promise.all([bus.publish('listings', batch), bus.publish('events', batch)]);
  written += 2 * batch.length * value.length;
  process.stdout.write(`${written}\n`);
}
