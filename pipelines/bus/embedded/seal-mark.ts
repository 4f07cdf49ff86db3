// A sealed segment's mark: a small file beside it, written once the segment is closed and fsynced,
// saying how many bytes of whole records it holds, where its offsets end and its sparse index. With
// it a restart opens the segment without reading it; without it (never sealed, or the mark cut
// short by a crash) the segment is read through and checked as before. The records keep their own
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

const isCount = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) >= 0;

/** The mark of a segment, or undefined when there is none or it cannot be trusted as a whole. */
export function readSealMark(segmentPath: string): SealMark | undefined {
  let mark: Partial<SealMark>;
  try {
    mark = JSON.parse(readFileSync(sealMarkPathOf(segmentPath), 'utf8')) as Partial<SealMark>;
  } catch {
    return undefined;
  }
  const { size, endOffset, lastTimestampMs, index } = mark;
  if (!isCount(size) || !isCount(endOffset) || !isCount(lastTimestampMs) || !Array.isArray(index)) return undefined;
  if (!index.every((pair) => Array.isArray(pair) && pair.length === 2 && isCount(pair[0]) && isCount(pair[1]) && pair[1] < size)) return undefined;
  return { size, endOffset, lastTimestampMs, index };
}

/** Replaces the mark atomically (write, fsync, rename): a crash leaves the old mark, none, or this one. */
export async function writeSealMark(segmentPath: string, mark: SealMark): Promise<void> {
  const path = sealMarkPathOf(segmentPath);
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
