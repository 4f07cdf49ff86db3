// Users: search by id, email or name; one user's profile, listings, orders, warnings, complaints
// and what staff did about them, with the moderator's and support's actions.
import { api, query, type PageOf } from '../api.js';
import { h } from '../dom.js';
import type { PageContext } from '../router.js';
import { may } from '../session.js';
import { endpointsTable } from './webhooks.js';
import { badge, card, confirmAction, facts, field, fill, link, money, notice, pageHeader, Pager, table, time } from '../ui.js';

interface Profile {
  id: number; email: string; name: string; country: string | null; city: string | null; status: string; created_at: string;
}

interface Details {
  user: Profile;
  login: { password_changed_at: string | null; failed_attempts: number; locked_until: string | null };
  api_keys: { id: number; name: string; prefix: string; created_at: string; last_used_at: string | null; revoked_at: string | null }[];
  counts: { listings: Record<string, number>; orders: { as_buyer: number; as_seller: number }; warnings: number; open_complaints: number };
  recent_orders: { id: number; role: string; listing_id: number; amount: number; currency: string; status: string; created_at: string }[];
  warnings: { id: number; reason: string; complaint_id: number | null; issued_by: string; created_at: string }[];
  open_complaints: { id: number; reason: string; details: string | null; listing_id: number | null; created_at: string }[];
}

export function usersPage({ query: params, navigate }: PageContext): HTMLElement {
  const q = h('input', { name: 'q', type: 'search', placeholder: 'User id, email or name', value: params.get('q') ?? '', required: true });
  const results = h('div');
  const search = () => fill(results, async () => {
    const found = await api<{ data: Profile[] }>('GET', `/admin/users${query({ q: q.value.trim() })}`);
    return table<Profile>([
      { label: 'Id', cell: (row) => `#${row.id}`, numeric: true },
      { label: 'Name', cell: (row) => link(`/users/${row.id}`, row.name) },
      { label: 'Email', cell: (row) => row.email },
      { label: 'Place', cell: (row) => [row.city, row.country].filter(Boolean).join(', ') || '—' },
      { label: 'Status', cell: (row) => badge(row.status) },
      { label: 'Joined', cell: (row) => time(row.created_at) },
    ], found.data, 'No user matches.');
  });
  const form = h('form', { class: 'filters', role: 'search' }, field('Find a user', q), h('button', { type: 'submit', class: 'primary' }, 'Search'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const text = q.value.trim();
    if (/^\d+$/.test(text)) return navigate(`/users/${text}`);
    history.replaceState(null, '', `/users${query({ q: text })}`);
    void search();
  });
  if (q.value) void search();
  else results.append(h('p', { class: 'empty' }, 'Search by a user’s id, the start of their email, or part of their name.'));
  return h('div', {}, pageHeader('Users', 'Look up a marketplace user. Opening a user is kept in the audit trail.'), card(null, form, results));
}

interface Message {
  id: number; listing_id: number | null; listing_name: string | null; sender_id: number; sender_name: string; recipient_id: number; recipient_name: string;
  direction: 'sent' | 'received'; body: string; created_at: string; read_at: string | null;
}

/** Messages load on request: reading a user's conversations is a deliberate, audited step. */
function messagesPanel(userId: number): HTMLElement {
  const slot = h('div');
  const pager = new Pager(slot, async (cursor) => {
    const page = await api<PageOf<Message>>('GET', `/admin/users/${userId}/messages${query({ cursor, limit: 20 })}`);
    return {
      next: page.next_cursor,
      content: table<Message>([
        { label: 'When', cell: (row) => time(row.created_at) },
        { label: '', cell: (row) => badge(row.direction) },
        { label: 'With', cell: (row) => (row.direction === 'sent' ? link(`/users/${row.recipient_id}`, row.recipient_name) : link(`/users/${row.sender_id}`, row.sender_name)) },
        { label: 'About', cell: (row) => (row.listing_id ? link(`/listings?q=${row.listing_id}`, row.listing_name ?? `#${row.listing_id}`) : '—') },
        { label: 'Message', cell: (row) => h('div', { class: 'clamp' }, row.body) },
      ], page.data, 'No messages.'),
    };
  });
  slot.append(h('p', { class: 'muted' }, 'Messages are private; opening them is kept in the audit trail. ',
    h('button', { type: 'button', class: 'secondary small', onclick: () => void pager.first() }, 'Show messages')));
  return slot;
}

/** What dismissing a spam finding does, by the action the check took. */
const DISMISS_EFFECT: Record<string, string> = {
  flag: 'It is closed as a false positive, with your reason.',
  rate_limit: 'It is closed as a false positive, and the message limit it set is lifted.',
  suspend: 'It is closed as a false positive. The account stays suspended: reinstate it to lift that.',
};

export function userPage({ params, staff }: PageContext): HTMLElement {
  const id = Number(params.id);
  const messages = h('div', { class: 'messages' });
  const body = h('div');
  const moderator = may(staff, ['moderator']);
  const support = may(staff, ['support']);

  async function act(title: string, text: string, label: string, path: string, destructive = false, done = 'Done.') {
    const reason = await confirmAction({ title, body: text, confirmLabel: label, reason: true, destructive });
    if (reason === undefined) return;
    try {
      await api('POST', path, { reason });
      messages.replaceChildren(notice('ok', done));
      await load();
    } catch (error) {
      messages.replaceChildren(notice('error', (error as Error).message));
    }
  }

  const load = () => fill(body, async () => {
    const [details, listings, audit, webhooks, spam] = await Promise.all([
      api<Details>('GET', `/admin/users/${id}`),
      api<PageOf<{ id: number; name: string; status: string; price_amount: number; price_currency: string; created_at: string }>>('GET', `/admin/listings${query({ seller_id: id, limit: 10 })}`),
      api<PageOf<{ id: number; admin: string; action: string; reason: string | null; created_at: string }>>('GET', `/admin/audit${query({ target_type: 'user', target_id: id, limit: 10 })}`),
      api<{ data: Parameters<typeof endpointsTable>[1] }>('GET', `/admin/users/${id}/webhooks`),
      api<PageOf<{ id: number; rule: string; action: string; reason: string; subject: string; message_id: number | null; decided_at: string; status: string; dismissed_by: string | null; dismiss_reason: string | null }>>('GET', `/admin/user-checks${query({ user_id: id, limit: 10 })}`),
    ]);
    const { user } = details;
    const heading = body.closest('main')?.querySelector('h1');
    if (heading) heading.textContent = `${user.name} (user #${user.id})`;
    const actions = h('div', { class: 'actions' },
      moderator ? h('button', { type: 'button', class: 'secondary', onclick: () => void act(`Warn ${user.name}?`, 'The user gets a warning with your reason.', 'Warn', `/admin/users/${id}/warnings`, false, 'Warning given.') }, 'Warn…') : null,
      moderator && user.status !== 'suspended' ? h('button', { type: 'button', class: 'danger', onclick: () => void act(`Suspend ${user.name}?`, 'They can no longer log in, and their listings are hidden.', 'Suspend', `/admin/users/${id}/suspend`, true, 'User suspended.') }, 'Suspend…') : null,
      moderator && user.status === 'suspended' ? h('button', { type: 'button', class: 'primary', onclick: () => void act(`Reinstate ${user.name}?`, 'They can log in again.', 'Reinstate', `/admin/users/${id}/reinstate`, false, 'User reinstated.') }, 'Reinstate…') : null);
    return h('div', { class: 'stack' },
      h('div', { class: 'grid-2' },
        card('Profile', facts([
          ['Name', h('strong', {}, user.name)], ['Email', user.email], ['Status', badge(user.status)], ['Place', [user.city, user.country].filter(Boolean).join(', ') || '—'],
          ['Joined', time(user.created_at)], ['Failed log-ins', String(details.login.failed_attempts)], ['Locked until', time(details.login.locked_until)],
        ]), actions),
        card('At a glance', facts([
          ['Listings', `${details.counts.listings.active ?? 0} active · ${details.counts.listings.pending_review ?? 0} under review · ${details.counts.listings.sold ?? 0} sold · ${details.counts.listings.removed ?? 0} removed`],
          ['Orders', `${details.counts.orders.as_buyer} bought · ${details.counts.orders.as_seller} sold`],
          ['Warnings', String(details.counts.warnings)], ['Open complaints', String(details.counts.open_complaints)],
          ['API keys', `${details.api_keys.filter((key) => !key.revoked_at).length} active`],
        ]))),
      card('Listings', table([
        { label: 'Id', cell: (row: (typeof listings.data)[number]) => `#${row.id}`, numeric: true },
        { label: 'Listing', cell: (row) => link(`/listings?q=${row.id}`, row.name) },
        { label: 'Price', cell: (row) => money(row.price_amount, row.price_currency), numeric: true },
        { label: 'Status', cell: (row) => badge(row.status) },
        { label: 'Listed', cell: (row) => time(row.created_at) },
      ], listings.data, 'No listings.'), listings.next_cursor ? link(`/listings?seller_id=${id}`, 'All their listings →') : null),
      card('Recent orders', table([
        { label: 'Order', cell: (row: Details['recent_orders'][number]) => `#${row.id}`, numeric: true },
        { label: 'As', cell: (row) => row.role },
        { label: 'Listing', cell: (row) => link(`/listings?q=${row.listing_id}`, `#${row.listing_id}`) },
        { label: 'Amount', cell: (row) => money(row.amount, row.currency), numeric: true },
        { label: 'Status', cell: (row) => badge(row.status) },
        { label: 'Placed', cell: (row) => time(row.created_at) },
        { label: '', cell: (row) => support && ['placed', 'paid', 'shipped', 'completed'].includes(row.status)
          ? h('button', { type: 'button', class: 'secondary small', onclick: () => void act(`Refund order #${row.id}?`, `${money(row.amount, row.currency)} goes back to the buyer.`, 'Refund', `/admin/orders/${row.id}/refund`, true, `Order #${row.id} refunded.`) }, 'Refund…') : null },
      ], details.recent_orders, 'No orders.')),
      h('div', { class: 'grid-2' },
        card('Warnings', table([
          { label: 'Given', cell: (row: Details['warnings'][number]) => time(row.created_at) },
          { label: 'Reason', cell: (row) => row.reason },
          { label: 'By', cell: (row) => row.issued_by },
        ], details.warnings, 'No warnings.')),
        card('Open complaints', table([
          { label: 'Id', cell: (row: Details['open_complaints'][number]) => `#${row.id}`, numeric: true },
          { label: 'Reason', cell: (row) => badge(row.reason) },
          { label: 'Filed', cell: (row) => time(row.created_at) },
        ], details.open_complaints, 'No open complaints.'))),
      card('Spam checks', table([
        { label: 'When', cell: (row: (typeof spam.data)[number]) => time(row.decided_at) },
        { label: 'Rule', cell: (row) => row.rule.replace(/_/g, ' ') },
        { label: 'On', cell: (row) => (row.subject === 'message' ? `message #${row.message_id}` : 'sign-up') },
        { label: 'Why', cell: (row) => row.reason },
        { label: 'Done', cell: (row) => badge(row.action) },
        { label: 'Status', cell: (row) => (row.status === 'dismissed' ? h('span', { title: row.dismiss_reason ?? '' }, badge('dismissed'), ` by ${row.dismissed_by}`) : badge('open')) },
        { label: '', cell: (row) => moderator && row.status === 'open'
          ? h('button', { type: 'button', class: 'secondary small', onclick: () => void act(`Dismiss the ${row.rule.replace(/_/g, ' ')} finding?`, DISMISS_EFFECT[row.action] ?? DISMISS_EFFECT.flag!, 'Dismiss', `/admin/user-checks/${row.id}/dismiss`, false, 'Finding dismissed.') }, 'Dismiss…')
          : null },
      ], spam.data, 'Nothing tripped.')),
      card('Messages', messagesPanel(id)),
      card('Webhook endpoints', endpointsTable(id, webhooks.data)),
      card('What staff did', table([
        { label: 'When', cell: (row: (typeof audit.data)[number]) => time(row.created_at) },
        { label: 'Staff', cell: (row) => row.admin },
        { label: 'Action', cell: (row) => badge(row.action) },
        { label: 'Reason', cell: (row) => row.reason ?? '—' },
      ], audit.data, 'Nothing yet.'), link(`/audit?target_type=user&target_id=${id}`, 'Full audit trail →')));
  });
  void load();
  return h('div', {}, pageHeader(`User #${id}`, undefined, link('/users', '← Users')), messages, body);
}
