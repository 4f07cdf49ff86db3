// The web app's entry: one API client for the page's own origin, the session, and the routes.
import { AuthenticationError, Steveslist } from '../../../client/index.js';
import type { App } from './app.js';
import { createNav } from './nav.js';
import { installAlertButton } from './pages/alerts-button.js';
import { alertsPage } from './pages/alerts.js';
import { checkoutPage } from './pages/checkout.js';
import { inboxPage } from './pages/inbox.js';
import { editListingPage, newListingPage } from './pages/listing-form.js';
import { listingPage } from './pages/listing.js';
import { logInPage } from './pages/log-in.js';
import { myListingsPage } from './pages/my-listings.js';
import { notFoundPage } from './pages/not-found.js';
import { orderPage } from './pages/order.js';
import { ordersPage } from './pages/orders.js';
import { searchPage } from './pages/search.js';
import { settingsPage } from './pages/settings.js';
import { signUpPage } from './pages/sign-up.js';
import { threadPage } from './pages/thread.js';
import { Router } from './router.js';
import { SessionStore } from './session.js';

const anonymous = new Steveslist({ baseUrl: location.origin });
const session = new SessionStore(localStorage);
let client: { token: string; api: Steveslist } | undefined;

const app: App = {
  session,
  api() {
    const token = session.current?.token;
    if (!token) return anonymous;
    if (client?.token !== token) client = { token, api: anonymous.withToken(token) };
    return client.api;
  },
  navigate: (path, options) => router.navigate(path, options),
  refreshUnread: () => nav.refreshUnread(),
};

const router = new Router([
  { pattern: /^\/$/, page: searchPage },
  { pattern: /^\/signup$/, page: signUpPage },
  { pattern: /^\/login$/, page: logInPage },
  { pattern: /^\/listings\/new$/, page: newListingPage },
  { pattern: /^\/listings\/(?<id>[1-9]\d*)$/, page: listingPage },
  { pattern: /^\/listings\/(?<id>[1-9]\d*)\/edit$/, page: editListingPage },
  { pattern: /^\/listings\/(?<id>[1-9]\d*)\/buy$/, page: checkoutPage },
  { pattern: /^\/me\/listings$/, page: myListingsPage },
  { pattern: /^\/orders$/, page: ordersPage },
  { pattern: /^\/orders\/(?<id>[1-9]\d*)$/, page: orderPage },
  { pattern: /^\/messages$/, page: inboxPage },
  { pattern: /^\/messages\/with\/(?<user>[1-9]\d*)$/, page: threadPage },
  { pattern: /^\/alerts$/, page: alertsPage },
  { pattern: /^\/settings$/, page: settingsPage },
], notFoundPage, document.getElementById('app')!, app);

const nav = createNav(document.getElementById('nav')!, app);
session.onChange(() => nav.render());
nav.render();
installAlertButton(document.getElementById('app')!, app);
router.start();
// New messages arrive while a page is open: the header's count catches up once a minute.
setInterval(() => nav.refreshUnread(), 60_000);

// A stored session may have expired or been ended elsewhere: find out once, and refresh the name.
if (session.current) {
  const stored = session.current;
  app.api().accounts.me().then((user) => {
    if (session.current === stored) session.set({ ...stored, user });
  }, (error: unknown) => {
    if (error instanceof AuthenticationError && session.current === stored) session.set(undefined);
  });
}
