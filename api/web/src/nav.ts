// The header's links, which depend on whether someone is logged in.
import { AuthenticationError } from '../../../client/index.js';
import type { App } from './app.js';
import { h, replaceChildren } from './dom.js';

export function renderNav(nav: HTMLElement, app: App): void {
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
  replaceChildren(nav,
    h('a', { href: '/' }, 'Search'),
    h('a', { href: '/listings/new' }, 'Sell'),
    h('a', { href: '/me/listings' }, 'My listings'),
    h('span', { class: 'who', 'data-testid': 'signed-in-as' }, session.user.name),
    logOut);
}
