// Listings: find by id, name, seller or status, and take one down with a reason.
import { api, query, type PageOf } from '../api.js';
import { h } from '../dom.js';
import type { PageContext } from '../router.js';
import { may } from '../session.js';
import { badge, card, confirmAction, field, link, money, notice, pageHeader, Pager, select, table, time } from '../ui.js';

interface ListingRow {
  id: number;
  name: string;
  category: string;
  price_amount: number;
  price_currency: string;
  status: string;
  country: string;
  city: string;
  seller_id: number;
  seller_name: string;
  seller_email: string;
  created_at: string;
}

export function listingsPage({ query: params, staff }: PageContext): HTMLElement {
  const q = h('input', { name: 'q', type: 'search', placeholder: 'Listing id or words in its name', value: params.get('q') ?? '' });
  const status = select('status', [['', 'Any status'], ['active', 'Active'], ['draft', 'Draft'], ['sold', 'Sold'], ['removed', 'Removed']], params.get('status') ?? '');
  const seller = h('input', { name: 'seller_id', inputmode: 'numeric', placeholder: 'Seller id', value: params.get('seller_id') ?? '', size: 8 });
  const messages = h('div', { class: 'messages' });
  const results = h('div');
  const canRemove = may(staff, ['moderator']);

  async function remove(listing: ListingRow) {
    const reason = await confirmAction({
      title: `Remove “${listing.name}”?`, body: `Listing #${listing.id} by ${listing.seller_name} comes off the marketplace at once. The seller is told why.`,
      confirmLabel: 'Remove listing', reason: true, destructive: true,
    });
    if (reason === undefined) return;
    try {
      await api('POST', `/admin/listings/${listing.id}/remove`, { reason });
      messages.replaceChildren(notice('ok', `Listing #${listing.id} removed. `));
      messages.firstElementChild!.append(link(`/audit?target_type=listing&target_id=${listing.id}`, 'See it in the audit trail'));
      await pager.show();
    } catch (error) {
      messages.replaceChildren(notice('error', (error as Error).message));
    }
  }

  const pager = new Pager(results, async (cursor) => {
    const page = await api<PageOf<ListingRow>>('GET', `/admin/listings${query({ q: q.value.trim(), status: status.value, seller_id: seller.value.trim(), cursor, limit: 25 })}`);
    return {
      next: page.next_cursor,
      content: table<ListingRow>([
        { label: 'Id', cell: (row) => `#${row.id}`, numeric: true },
        { label: 'Listing', cell: (row) => h('div', {}, h('strong', {}, row.name), h('div', { class: 'muted small' }, `${row.category} · ${row.city}, ${row.country}`)) },
        { label: 'Seller', cell: (row) => h('div', {}, link(`/users/${row.seller_id}`, row.seller_name), h('div', { class: 'muted small' }, row.seller_email)) },
        { label: 'Price', cell: (row) => money(row.price_amount, row.price_currency), numeric: true },
        { label: 'Status', cell: (row) => badge(row.status) },
        { label: 'Listed', cell: (row) => time(row.created_at) },
        { label: '', cell: (row) => canRemove && row.status !== 'removed'
          ? h('button', { type: 'button', class: 'danger small', onclick: () => void remove(row) }, 'Remove…') : null },
      ], page.data, 'No listing matches.'),
    };
  });

  const filters = h('form', { class: 'filters', role: 'search' }, field('Search', q), field('Status', status), field('Seller', seller),
    h('button', { type: 'submit', class: 'primary' }, 'Search'));
  filters.addEventListener('submit', (event) => {
    event.preventDefault();
    history.replaceState(null, '', `/listings${query({ q: q.value.trim(), status: status.value, seller_id: seller.value.trim() })}`);
    void pager.first();
  });
  void pager.first();
  return h('div', {}, pageHeader('Listings', 'Find a listing and take it down when it breaks the rules.'), messages, card(null, filters, results));
}
