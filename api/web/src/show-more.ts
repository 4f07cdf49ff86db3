// "Show more" under a list that the API pages with cursors: the button fetches the next page,
// appends its rows, and hides itself on the last page; a failure is said beside it and the
// button stays to try again.
import type { Page } from '../../../client/index.js';
import { h } from './dom.js';
import { messageOf } from './errors.js';

export function showMore<T>(
  firstCursor: string | null,
  next: (cursor: string) => Promise<Page<T>>,
  append: (items: T[]) => void,
  signal: AbortSignal,
): [HTMLButtonElement, HTMLParagraphElement] {
  const more = h('button', { type: 'button' }, 'Show more');
  const problem = h('p', { class: 'error', role: 'alert' });
  let cursor = firstCursor;
  more.hidden = cursor === null;
  more.addEventListener('click', async () => {
    if (cursor === null) return;
    more.disabled = true;
    try {
      const page = await next(cursor);
      append(page.data);
      cursor = page.next_cursor;
      more.hidden = cursor === null;
      problem.textContent = '';
    } catch (error) {
      if (!signal.aborted) problem.textContent = messageOf(error);
    }
    more.disabled = false;
  });
  return [more, problem];
}
