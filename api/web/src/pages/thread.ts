// One conversation with one person about one listing: the messages oldest first, and a reply box.
// Opening it marks what they sent as read, and the header's unread count follows.
import { NotFoundError, type Listing, type Message } from '../../../../client/index.js';
import type { Page } from '../app.js';
import { h } from '../dom.js';
import { Form } from '../form.js';
import { requireSession } from '../login-redirect.js';

export const threadPage: Page = {
  title: 'Conversation',
  async render(context) {
    const session = requireSession(context);
    if (!session) return h('p', {}, 'Log in to read your messages.');
    const { app, signal } = context;
    const counterpartId = Number(context.params.user);
    const listingText = context.query.get('listing');
    const listingId = listingText && /^[1-9]\d{0,15}$/.test(listingText) ? Number(listingText) : null;
    if (counterpartId === session.user.id) return h('section', {}, h('h1', {}, 'Conversation'), h('p', {}, 'Messages go to someone else. ', h('a', { href: '/messages' }, 'Your messages')));
    const api = app.api();
    const [counterpart, listing, messages] = await Promise.all([
      api.accounts.profile(counterpartId, { signal }).catch((error: unknown) => {
        if (error instanceof NotFoundError) return undefined;
        throw error;
      }),
      listingId === null ? undefined : api.listings.get(listingId, { signal }).catch((): Listing | undefined => undefined),
      api.messages.thread({ with: counterpartId, listing_id: listingId ?? undefined }, { signal }),
    ]);
    if (!counterpart && messages.length === 0) return h('section', {}, h('h1', {}, 'Conversation'), h('p', {}, 'This member does not exist. ', h('a', { href: '/messages' }, 'Your messages')));
    const name = counterpart?.name ?? 'A former member';
    document.title = `${name} · Messages · Steveslist`;
    if (messages.some((message) => message.recipient_id === session.user.id && message.read_at === null)) {
      // Read once shown; the header's count is refreshed after the server agrees.
      void api.messages.markRead({ with: counterpartId, listing_id: listingId ?? undefined }).then(() => app.refreshUnread(), () => undefined);
    }
    const list = h('ol', { class: 'messages', 'data-testid': 'thread-messages', 'aria-label': 'Messages', 'aria-live': 'polite' },
      ...messages.map((message) => bubble(message, session.user.id, name)));
    const shown = new Set(messages.map((message) => message.id));
    const show = (message: Message) => {
      if (shown.has(message.id)) return;
      shown.add(message.id);
      list.append(bubble(message, session.user.id, name));
    };
    // An answer may come while the page is open: look every 15 s, until the visitor leaves.
    const poll = setInterval(() => {
      api.messages.thread({ with: counterpartId, listing_id: listingId ?? undefined }, { signal }).then((latest) => {
        const fresh = latest.filter((message) => !shown.has(message.id));
        fresh.forEach(show);
        if (fresh.some((message) => message.recipient_id === session.user.id)) {
          void api.messages.markRead({ with: counterpartId, listing_id: listingId ?? undefined }).then(() => app.refreshUnread(), () => undefined);
        }
      }, () => undefined);
    }, 15_000);
    signal.addEventListener('abort', () => clearInterval(poll));
    const form = new Form('reply', [
      { name: 'body', label: messages.length === 0 ? `Write to ${name}` : 'Your reply', kind: 'textarea', required: true, attributes: { maxlength: '5000', rows: '3' } },
    ], 'Send', async (form) => {
      const body = form.value('body').trim();
      if (!body) return form.showError('Write a message first.', 'body');
      const sent = await api.messages.send(listingId === null ? { recipient_id: counterpartId, body } : { listing_id: listingId, recipient_id: counterpartId, body });
      show(sent);
      form.reset();
      list.lastElementChild?.scrollIntoView({ block: 'nearest' });
    });
    const about = listingId === null ? null
      : h('p', { class: 'thread-about' }, 'About ', listing ? h('a', { href: `/listings/${listing.id}` }, listing.name) : 'a listing no longer on the marketplace');
    return h('section', { class: 'thread-page' },
      h('p', {}, h('a', { href: '/messages' }, '← All messages')),
      h('h1', {}, name),
      about,
      messages.length === 0 ? h('p', { class: 'hint' }, 'No messages yet.') : null,
      list,
      form.element);
  },
};

function bubble(message: Message, me: number, counterpartName: string): HTMLElement {
  const mine = message.sender_id === me;
  return h('li', { class: mine ? 'message mine' : 'message theirs' },
    h('span', { class: 'visually-hidden' }, mine ? 'You: ' : `${counterpartName}: `),
    h('p', { class: 'message-body' }, message.body),
    h('time', { datetime: message.created_at }, new Date(message.created_at).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' })));
}
