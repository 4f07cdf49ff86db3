// Messages: one line per conversation (listing and counterpart), newest activity first, unread
// ones marked and counted.
import type { MessageThread } from '../../../../client/index.js';
import type { Page } from '../app.js';
import { h } from '../dom.js';
import { requireSession } from '../login-redirect.js';
import { showMore } from '../show-more.js';
import { threadPath } from '../threads.js';

const PAGE_SIZE = 20;

export const inboxPage: Page = {
  title: 'Messages',
  async render(context) {
    const session = requireSession(context);
    if (!session) return h('p', {}, 'Log in to read your messages.');
    const api = context.app.api();
    const first = await api.messages.threads({ limit: PAGE_SIZE }, { signal: context.signal });
    const heading = h('h1', {}, 'Messages');
    if (first.data.length === 0) {
      return h('section', {}, heading, h('p', {}, 'No messages yet. Ask a seller about a listing from its page.'));
    }
    const me = session.user.id;
    const list = h('ul', { class: 'threads', 'data-testid': 'threads' }, ...first.data.map((thread) => item(thread, me)));
    const [more, problem] = showMore(first.next_cursor,
      (cursor) => api.messages.threads({ limit: PAGE_SIZE, cursor }, { signal: context.signal }),
      (threads) => list.append(...threads.map((thread) => item(thread, me))), context.signal);
    return h('section', {}, heading, list, more, problem);
  },
};

function item(thread: MessageThread, me: number): HTMLElement {
  const about = thread.listing_id === null ? 'Direct message' : thread.listing_name ?? 'A removed listing';
  const preview = `${thread.last_sender_id === me ? 'You: ' : ''}${thread.last_body.length > 120 ? `${thread.last_body.slice(0, 119)}…` : thread.last_body}`;
  return h('li', { class: thread.unread > 0 ? 'thread unread' : 'thread' },
    h('a', { href: threadPath(thread.counterpart_id, thread.listing_id), class: 'thread-link' },
      h('span', { class: 'thread-who' }, thread.counterpart_name),
      h('span', { class: 'thread-about' }, about),
      thread.unread > 0 ? h('span', { class: 'count', 'aria-label': `${thread.unread} unread` }, String(thread.unread)) : null,
      h('span', { class: 'thread-preview' }, preview),
      h('time', { datetime: thread.last_at, class: 'thread-when' }, when(thread.last_at))));
}

function when(iso: string): string {
  const date = new Date(iso);
  return date.toDateString() === new Date().toDateString()
    ? date.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })
    : date.toLocaleDateString();
}
