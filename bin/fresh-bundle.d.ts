/**
 * The entry of the bundle in `dir` (a URL ending in /) when it is there and every source file it
 * was built from is unchanged; undefined otherwise.
 */
export function freshBundle(dir: URL): string | undefined;
