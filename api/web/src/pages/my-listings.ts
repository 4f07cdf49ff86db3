// The seller's own listings, any status, newest first, a page at a time.
import type { Listing } from '../../../../client/index.js';
import type { Page } from '../app.js';
import { h } from '../dom.js';
import { requireSession } from '../login-redirect.js';
import { showMore } from '../show-more.js';
import { formatPrice } from '../money.js';

const PAGE_SIZE = 20;

export const myListingsPage: Page = {
  title: 'My listings',
  async render(context) {
    if (!requireSession(context)) return h('p', {}, 'Log in to see your listings.');
    const api = context.app.api();
    const first = await api.listings.mine({ limit: PAGE_SIZE }, { signal: context.signal });
    const heading = h('h1', {}, 'My listings');
    if (first.data.length === 0) {
      return h('section', {}, heading, h('p', {}, 'You have no listings yet. ', h('a', { href: '/listings/new' }, 'Sell something')));
    }
    const body = h('tbody', {}, ...first.data.map(row));
    const table = h('table', { class: 'mine', 'data-testid': 'my-listings' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Listing'), h('th', { scope: 'col' }, 'Price'), h('th', { scope: 'col' }, 'Status'), h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Actions')))),
      body);
    const [more, problem] = showMore(first.next_cursor,
      (cursor) => api.listings.mine({ limit: PAGE_SIZE, cursor }, { signal: context.signal }),
      (listings) => body.append(...listings.map(row)), context.signal);
    return h('section', {}, heading, h('p', {}, h('a', { href: '/listings/new', class: 'button' }, 'Sell something')), table, more, problem);
  },
};

/** How a status reads to its seller: a held listing is under review, not a code. */
const STATUS_LABELS: Record<Listing['status'], string> = { active: 'active', draft: 'draft', pending_review: 'Under review', sold: 'sold', removed: 'removed' };

function row(listing: Listing): HTMLElement {
  const editable = listing.status === 'active' || listing.status === 'draft';
  return h('tr', {},
    h('td', {}, h('a', { href: `/listings/${listing.id}` }, listing.name)),
    h('td', {}, formatPrice(listing.price_amount, listing.price_currency)),
    h('td', {}, listing.status === 'pending_review'
      ? h('span', { class: 'badge badge-pending_review', title: 'Our moderators are checking this listing; it is out of search until they have.' }, STATUS_LABELS[listing.status])
      : STATUS_LABELS[listing.status]),
    h('td', {}, editable ? h('a', { href: `/listings/${listing.id}/edit`, 'aria-label': `Edit ${listing.name}` }, 'Edit') : null));
}
