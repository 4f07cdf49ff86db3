// The staff console: log-in, then a shell with the pages the staff member's role uses.
import { api, whenSignedOut } from './api.js';
import { h, replaceChildren } from './dom.js';
import { accountsPage } from './pages/accounts.js';
import { auditPage } from './pages/audit.js';
import { backupsPage } from './pages/backups.js';
import { complaintsPage } from './pages/complaints.js';
import { heldListingsPage } from './pages/held-listings.js';
import { deadLettersPage } from './pages/dead-letters.js';
import { emailPage, emailsPage } from './pages/emails.js';
import { smsListPage, smsPage } from './pages/sms.js';
import { jobsPage } from './pages/jobs.js';
import { listingsPage } from './pages/listings.js';
import { loginPage } from './pages/login.js';
import { pipelinePage } from './pages/pipeline.js';
import { refundsPage } from './pages/refunds.js';
import { userPage, usersPage } from './pages/users.js';
import { webhookPage } from './pages/webhooks.js';
import { workbenchPage } from './pages/workbench.js';
import { match, type Route } from './router.js';
import { may, type Staff, type StaffRole } from './session.js';
import { notice } from './ui.js';

interface NavItem {
  path: string;
  label: string;
  roles: readonly StaffRole[];
}

const NAV: { section: string; items: NavItem[] }[] = [
  { section: 'People', items: [
    { path: '/users', label: 'Users', roles: ['support', 'moderator'] },
    { path: '/refunds', label: 'Refunds', roles: ['support'] },
    { path: '/emails', label: 'Email queue', roles: ['support'] },
    { path: '/sms', label: 'SMS log', roles: ['support'] },
  ] },
  { section: 'Moderation', items: [
    { path: '/listings', label: 'Listings', roles: ['moderator', 'support'] },
    { path: '/complaints', label: 'Complaints', roles: ['moderator'] },
    { path: '/held-listings', label: 'Held listings', roles: ['moderator'] },
  ] },
  { section: 'Data', items: [
    { path: '/workbench', label: 'SQL workbench', roles: ['analyst'] },
    { path: '/reports/', label: 'Dashboards', roles: ['analyst'] },
  ] },
  { section: 'Operations', items: [
    { path: '/pipeline', label: 'Pipeline', roles: ['operator'] },
    { path: '/jobs', label: 'Scheduled jobs', roles: ['operator'] },
    { path: '/backups', label: 'Backups', roles: ['operator'] },
  ] },
  { section: 'Admin', items: [
    { path: '/audit', label: 'Audit trail', roles: ['support', 'moderator', 'analyst', 'operator'] },
    { path: '/accounts', label: 'Staff accounts', roles: [] },
  ] },
];

const ROUTES: Route[] = [
  { pattern: '/users', page: usersPage },
  { pattern: '/users/:id', page: userPage },
  { pattern: '/users/:id/webhooks/:endpoint', page: webhookPage },
  { pattern: '/refunds', page: refundsPage },
  { pattern: '/emails', page: emailsPage },
  { pattern: '/emails/:id', page: emailPage },
  { pattern: '/sms', page: smsListPage },
  { pattern: '/sms/:id', page: smsPage },
  { pattern: '/listings', page: listingsPage },
  { pattern: '/complaints', page: complaintsPage },
  { pattern: '/held-listings', page: heldListingsPage },
  { pattern: '/workbench', page: workbenchPage },
  { pattern: '/pipeline', page: pipelinePage },
  { pattern: '/pipeline/dead-letters/:group', page: deadLettersPage },
  { pattern: '/jobs', page: jobsPage },
  { pattern: '/backups', page: backupsPage },
  { pattern: '/audit', page: auditPage },
  { pattern: '/accounts', page: accountsPage },
];

const root = document.getElementById('app')!;
let staff: Staff | undefined;

function firstPageFor(who: Staff): string {
  for (const { items } of NAV) for (const item of items) if (may(who, item.roles) && !item.path.startsWith('/reports')) return item.path;
  return '/audit';
}

function navigate(path: string, replace = false): void {
  if (replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  render();
}

async function logOut(): Promise<void> {
  try {
    await api('DELETE', '/admin/session');
  } finally {
    staff = undefined;
    navigate('/', true);
  }
}

function shell(who: Staff, content: HTMLElement): HTMLElement {
  const current = location.pathname;
  const nav = h('nav', { class: 'sidebar', 'aria-label': 'Console' },
    h('div', { class: 'brand' }, h('strong', {}, 'Steveslist'), h('span', {}, 'Staff console')),
    ...NAV.map(({ section, items }) => {
      const allowed = items.filter((item) => may(who, item.roles));
      if (allowed.length === 0) return null;
      return h('div', { class: 'nav-section' }, h('h3', {}, section),
        ...allowed.map((item) => h('a', {
          href: item.path, 'data-nav': !item.path.startsWith('/reports'), class: current === item.path || current.startsWith(`${item.path}/`) ? 'active' : undefined,
        }, item.label)));
    }));
  const top = h('div', { class: 'topbar' },
    h('span', { class: 'who', 'data-testid': 'signed-in-as' }, who.username, h('span', { class: `badge neutral` }, who.role)),
    h('button', { type: 'button', class: 'secondary small', onclick: () => void logOut() }, 'Log out'));
  return h('div', { class: 'layout' }, nav, h('div', { class: 'main' }, top, h('main', {}, content)));
}

function render(): void {
  if (!staff) {
    replaceChildren(root, loginPage((who) => {
      staff = who;
      navigate(location.pathname === '/' || location.pathname === '/login' ? firstPageFor(who) : location.pathname + location.search, true);
    }));
    return;
  }
  if (location.pathname === '/' || location.pathname === '/login') {
    navigate(firstPageFor(staff), true);
    return;
  }
  const found = match(ROUTES, location.pathname);
  const content = found
    ? found.route.page({ params: found.params, query: new URLSearchParams(location.search), staff, navigate })
    : h('div', {}, notice('error', `There is no page at ${location.pathname}.`));
  replaceChildren(root, shell(staff, content));
  document.title = `${content.querySelector('h1')?.textContent ?? 'Staff console'} · Steveslist staff`;
}

document.addEventListener('click', (event) => {
  const anchor = (event.target as Element).closest?.('a[data-nav]') as HTMLAnchorElement | null;
  if (!anchor || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
  event.preventDefault();
  navigate(anchor.pathname + anchor.search);
});
window.addEventListener('popstate', render);
whenSignedOut(() => {
  if (!staff) return;
  staff = undefined;
  render();
});

async function start(): Promise<void> {
  try {
    staff = await api<Staff>('GET', '/admin/session');
  } catch {
    staff = undefined;
  }
  render();
}

void start();
