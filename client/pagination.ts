// Walking a list endpoint page by page, so callers write `for await` instead of cursor loops.
import { SteveslistError } from './errors.js';
import type { Page } from './types.js';

/** Fetches the page at `cursor` (undefined: the first page). */
export type PageFetcher<T> = (cursor: string | undefined) => Promise<Page<T>>;

/** Every item of every page, fetched lazily: stop iterating and no further page is asked for. */
export async function* paginate<T>(fetchPage: PageFetcher<T>, firstCursor?: string): AsyncGenerator<T, void, undefined> {
  for await (const page of pages(fetchPage, firstCursor)) yield* page.data;
}

/** Every page, for callers that want page boundaries (a progress count, a batch insert). */
export async function* pages<T>(fetchPage: PageFetcher<T>, firstCursor?: string): AsyncGenerator<Page<T>, void, undefined> {
  let cursor = firstCursor;
  for (;;) {
    const page = await fetchPage(cursor);
    yield page;
    if (page.next_cursor === null) return;
    // A server answering the cursor it was given would otherwise loop for ever.
    if (page.next_cursor === cursor) throw new SteveslistError(`the API answered next_cursor ${cursor} again; stopping rather than loop`, 'invalid_response', {});
    cursor = page.next_cursor;
  }
}
