// The listing checks' queue: listings a rule held (out of search until someone decides) or flagged
// (live, to look at), each with the rules it tripped and why; cleared or removed with a reason.
import { api, query, type PageOf } from '../api.js';
import { h } from '../dom.js';
import type { PageContext } from '../router.js';
import { badge, card, confirmAction, field, link, money, notice, pageHeader, Pager, select, table, time } from '../ui.js';

interface Check {
  id: number;
  rule: string;
  action: 'hold' | 'flag';
  reason: string;
  status: 'open' | 'cleared' | 'removed';
  decided_at: string;
  cleared_by: string | null;
}

interface CheckedListing {
  id: number;
  seller_id: number;
  seller_name: string;
  name: string;
  category: string;
  country: string;
  city: string;
  price_amount: number;
  price_currency: string;
  status: string;
  created_at: string;
  checks: Check[];
}

export function heldListingsPage({ query: params }: PageContext): HTMLElement {
  const action = select('action', [['hold', 'Held (out of search)'], ['flag', 'Flagged (live)'], ['', 'Both']], params.get('action') ?? 'hold');
  const messages = h('div', { class: 'messages' });
  const results = h('div');

  async function decide(listing: CheckedListing, verb: 'clear' | 'remove') {
    const reason = await confirmAction({
      title: `${verb === 'clear' ? 'Clear' : 'Remove'} listing #${listing.id}?`,
      body: verb === 'clear'
        ? `“${listing.name}” goes back on sale and into search; its checks are closed as cleared.`
        : `“${listing.name}” is taken off the marketplace (kept as evidence); its checks are closed as removed.`,
      confirmLabel: verb === 'clear' ? 'Clear' : 'Remove', destructive: verb === 'remove', reason: true,
    });
    if (reason === undefined) return;
    try {
      await api('POST', `/admin/listing-checks/${listing.id}/${verb}`, { reason });
      messages.replaceChildren(notice('ok', `Listing #${listing.id} ${verb === 'clear' ? 'cleared: it is back on sale' : 'removed'}.`));
      await pager.show();
    } catch (error) {
      messages.replaceChildren(notice('error', (error as Error).message));
    }
  }

  const open = (listing: CheckedListing) => listing.checks.filter((check) => check.status === 'open');
  const pager = new Pager(results, async (cursor) => {
    const page = await api<PageOf<CheckedListing>>('GET', `/admin/listing-checks${query({ action: action.value, cursor, limit: 25 })}`);
    return {
      next: page.next_cursor,
      content: table<CheckedListing>([
        { label: 'Listing', cell: (row) => h('div', {}, link(`/listings?q=${row.id}`, `#${row.id} ${row.name}`), h('div', { class: 'muted small' }, `${row.category} · ${row.city}, ${row.country}`)) },
        { label: 'Price', cell: (row) => money(row.price_amount, row.price_currency), numeric: true },
        { label: 'Seller', cell: (row) => link(`/users/${row.seller_id}`, row.seller_name) },
        { label: 'Why', cell: (row) => h('ul', { class: 'details' }, ...open(row).map((check) => h('li', {}, badge(check.action === 'hold' ? 'held' : 'flagged'), ' ', h('strong', {}, check.rule.replace(/_/g, ' ')), h('div', { class: 'small' }, check.reason)))) },
        { label: 'Decided', cell: (row) => time(open(row)[0]?.decided_at) },
        { label: 'Status', cell: (row) => badge(row.status) },
        { label: '', cell: (row) => h('div', { class: 'row-actions' },
          h('button', { type: 'button', class: 'primary small', onclick: () => void decide(row, 'clear') }, 'Clear…'),
          row.status === 'removed' ? null : h('button', { type: 'button', class: 'danger small', onclick: () => void decide(row, 'remove') }, 'Remove…')) },
      ], page.data, 'Nothing waits for a decision.'),
    };
  });
  action.addEventListener('change', () => {
    history.replaceState(null, '', `/held-listings${query({ action: action.value })}`);
    void pager.first();
  });
  void pager.first();
  return h('div', {},
    pageHeader('Held listings', 'Listings the listing checks held or flagged, newest first. Clearing one puts it back on sale; both ask why.'),
    messages, card(null, h('div', { class: 'filters' }, field('Show', action)), results));
}
