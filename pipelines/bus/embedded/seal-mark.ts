// A segment's marks: small files beside it saying how many bytes of whole records it holds, where
// its offsets end and its sparse index, each written only after those bytes were fsynced. A sealed
// segment's mark (written when it is closed for the next) lets a restart open it without reading
// it; the active segment's checkpoint (written every few MB and at a clean close) lets a restart
// read only what came after it, the part a kill -9 can leave torn. Without a mark (or with one a
// crash cut short) the segment is read through and checked as before. The records keep their own
// checksums, so a byte flipped later is still found by a read and by the partition's verifySealed.
import { readFileSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';

export interface SealMark {
  size: number;
  endOffset: number;
  lastTimestampMs: number;
  /** [offset, byte position] pairs, ascending. */
  index: [number, number][];
}

export const sealMarkPathOf = (segmentPath: string) => segmentPath.replace(/\.log$/, '.sealed');
export const checkpointPathOf = (segmentPath: string) => segmentPath.replace(/\.log$/, '.checkpoint');

const isCount = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) >= 0;

/** The mark at `path`, or undefined when there is none or it cannot be trusted as a whole. */
export function readSegmentMark(path: string): SealMark | undefined {
  let mark: Partial<SealMark>;
  try {
    mark = JSON.parse(readFileSync(path, 'utf8')) as Partial<SealMark>;
  } catch {
    return undefined;
  }
  const { size, endOffset, lastTimestampMs, index } = mark;
  if (!isCount(size) || !isCount(endOffset) || !isCount(lastTimestampMs) || !Array.isArray(index)) return undefined;
  if (!index.every((pair) => Array.isArray(pair) && pair.length === 2 && isCount(pair[0]) && isCount(pair[1]) && pair[1] < size)) return undefined;
  return { size, endOffset, lastTimestampMs, index };
}

/** Replaces the mark at `path` atomically (write, fsync, rename): a crash leaves the old mark, none, or this one. */
export async function writeSegmentMark(path: string, mark: SealMark): Promise<void> {
  const tmp = `${path}.tmp`;
  const handle = await open(tmp, 'w');
  try {
    await handle.writeFile(JSON.stringify({ size: mark.size, endOffset: mark.endOffset, lastTimestampMs: mark.lastTimestampMs, index: mark.index }));
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, path);
}
