// The header's links, which depend on whether someone is logged in, with the unread count.
import { AuthenticationError } from '../../../client/index.js';
import type { App } from './app.js';
import { h, replaceChildren } from './dom.js';

export interface Nav {
  render(): void;
  refreshUnread(): void;
}

export function createNav(nav: HTMLElement, app: App): Nav {
  const unread = h('span', { class: 'count', 'data-testid': 'unread-count', hidden: true });
  let asked = 0;

  function refreshUnread(): void {
    const session = app.session.current;
    if (!session) return;
    const ask = ++asked;
    app.api().messages.unreadCount().then(({ unread: count }) => {
      // Only the newest answer counts, and only for the session that asked.
      if (ask !== asked || app.session.current !== session) return;
      unread.textContent = String(count);
      unread.hidden = count === 0;
      unread.setAttribute('aria-label', `${count} unread`);
    }, () => undefined);
  }

  function render(): void {
    const session = app.session.current;
    if (!session) {
      replaceChildren(nav,
        h('a', { href: '/' }, 'Search'),
        h('a', { href: '/listings/new' }, 'Sell'),
        h('a', { href: '/login' }, 'Log in'),
        h('a', { href: '/signup' }, 'Sign up'));
      return;
    }
    const logOut = h('button', { type: 'button', class: 'link' }, 'Log out');
    logOut.addEventListener('click', async () => {
      logOut.disabled = true;
      try {
        await app.api().accounts.logOut();
      } catch (error) {
        // An expired session is already over; anything else leaves the token valid on the server.
        if (!(error instanceof AuthenticationError)) console.warn('log out: the session could not be ended on the server', error);
      }
      app.session.set(undefined);
      app.navigate('/');
    });
    unread.hidden = true;
    replaceChildren(nav,
      h('a', { href: '/' }, 'Search'),
      h('a', { href: '/listings/new' }, 'Sell'),
      h('a', { href: '/me/listings' }, 'My listings'),
      h('a', { href: '/orders' }, 'Orders'),
      h('a', { href: '/alerts' }, 'Alerts'),
      h('a', { href: '/messages' }, 'Messages', unread),
      h('a', { href: '/settings' }, 'Settings'),
      h('span', { class: 'who', 'data-testid': 'signed-in-as' }, session.user.name),
      logOut);
    refreshUnread();
  }

  return { render, refreshUnread };
}
