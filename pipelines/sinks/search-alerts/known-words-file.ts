// The stems the in-memory percolator learned from listings, one per line, appended as they are
// learned (before the batch that taught them is committed), so a start reads them back instead of
// analysing the newest 100,000 listings' text again: two seconds of a core at every start, which a
// platform restarted during a burst could not spare. New stems are rare once the vocabulary is
// known, so the appends are few and small; a kill -9 cannot cut a write in two (a power loss can:
// a last line without its newline is left out).
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';

export function appendKnownWords(path: string, stems: readonly string[]): void {
  if (stems.length === 0) return;
  mkdirSync(dirname(path), { recursive: true });
  appendFileSync(path, `${stems.join('\n')}\n`);
}

/** The stems kept, or undefined when there is no file yet (then they are learned from the listings). */
export function readKnownWords(path: string): string[] | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const lines = text.split('\n');
  // The last element is what follows the last newline: empty, or a line a crash cut short.
  return lines.slice(0, -1).filter((line) => line.length > 0);
}
