// One listing: what it is, and what the visitor can do with it (buy it or ask the seller; edit
// and remove their own, or see who bought it).
import { NotFoundError, type Listing } from '../../../../client/index.js';
import type { App, Page } from '../app.js';
import { h, replaceChildren } from '../dom.js';
import { messageOf } from '../errors.js';
import { formOptions, labelOf } from '../form-options.js';
import { formatPrice } from '../money.js';
import { threadPath } from '../threads.js';

export const listingPage: Page = {
  title: 'Listing',
  async render({ app, params, signal }) {
    const id = Number(params.id);
    let listing: Listing;
    try {
      listing = await app.api().listings.get(id, { signal });
    } catch (error) {
      if (error instanceof NotFoundError) return notFound();
      throw error;
    }
    // Labels are a nicety: without them the codes still read.
    const options = await formOptions(app).catch(() => undefined);
    document.title = `${listing.name} · Steveslist`;
    const notice = h('p', { class: 'notice', role: 'status' });
    const actions = h('div', { class: 'actions' });
    replaceChildren(actions, ...actionsFor(app, listing, notice));
    return h('article', { class: 'listing' },
      h('h1', {}, listing.name),
      h('p', { class: 'price', 'data-testid': 'listing-price' }, formatPrice(listing.price_amount, listing.price_currency)),
      listing.status === 'active' ? null : h('p', { class: `badge badge-${listing.status}` }, statusText(listing.status)),
      h('dl', { class: 'facts' },
        h('dt', {}, 'Category'), h('dd', {}, labelOf(options?.categories ?? [], listing.category)),
        h('dt', {}, 'Location'), h('dd', {}, `${listing.city}, ${labelOf(options?.countries ?? [], listing.country)}`,
          // Only its seller can fix it: a city the gazetteer does not know has no point to measure from.
          listing.latitude === null && app.session.current?.user.id === listing.seller_id
            ? h('span', { class: 'hint', 'data-testid': 'location-unknown' }, 'We do not know this city, so searches near a city will not find this listing; check its spelling.')
            : null),
        h('dt', {}, 'Listed'), h('dd', {}, new Date(listing.created_at).toLocaleDateString())),
      h('p', { class: 'description' }, listing.description),
      actions,
      notice);
  },
};

export function notFound(): HTMLElement {
  return h('section', {}, h('h1', {}, 'Listing not found'), h('p', {}, 'It does not exist, or it is no longer on the marketplace. ', h('a', { href: '/' }, 'Search again')));
}

function statusText(status: Listing['status']): string {
  return { active: 'For sale', draft: 'Draft: only you can see it', pending_review: 'Under review: our moderators are checking it; only you can see it until then', sold: 'Sold', removed: 'Removed' }[status];
}

function actionsFor(app: App, listing: Listing, notice: HTMLElement): Node[] {
  const session = app.session.current;
  if (session?.user.id === listing.seller_id) {
    if (listing.status === 'sold') return [soldTo(app, listing)];
    // Held by the listing checks: a moderator decides; editing waits until then.
    if (listing.status === 'removed' || listing.status === 'pending_review') return [];
    const remove = h('button', { type: 'button', class: 'danger' }, 'Remove listing');
    remove.addEventListener('click', async () => {
      if (!confirm(`Remove “${listing.name}” from the marketplace?`)) return;
      remove.disabled = true;
      try {
        await app.api().listings.remove(listing.id);
        app.navigate('/me/listings');
      } catch (error) {
        notice.textContent = messageOf(error);
        remove.disabled = false;
      }
    });
    return [h('a', { href: `/listings/${listing.id}/edit`, class: 'button' }, 'Edit'), remove];
  }
  if (listing.status !== 'active') return [];
  if (!session) return [h('a', { href: `/login?next=${encodeURIComponent(`/listings/${listing.id}`)}`, class: 'button' }, 'Log in to buy or ask')];
  // Buying goes through a summary to confirm: one click never spends money.
  return [
    h('a', { href: `/listings/${listing.id}/buy`, class: 'button' }, `Buy for ${formatPrice(listing.price_amount, listing.price_currency)}`),
    h('a', { href: threadPath(listing.seller_id, listing.id), class: 'button secondary' }, 'Message the seller'),
  ];
}

/** The seller's own sold listing names its buyer, found among the seller's recent sales. */
function soldTo(app: App, listing: Listing): HTMLElement {
  const line = h('p', { 'data-testid': 'sold-to' }, 'Sold. ', h('a', { href: '/orders?role=seller' }, 'See your sales'));
  void app.api().orders.list({ role: 'seller', limit: 100 }).then((page) => {
    const order = page.data.find((candidate) => candidate.listing_id === listing.id);
    if (!order) return;
    const buyer = order.buyer_name ?? 'a former member';
    const price = formatPrice(order.amount, order.currency);
    // Where payments are on, the listing is held for the buyer until the payment is confirmed.
    replaceChildren(line, order.status === 'pending_payment' ? `Held for ${buyer}, awaiting their payment of ${price}. ` : `Sold to ${buyer} for ${price}. `,
      h('a', { href: `/orders/${order.id}` }, `Order #${order.id}`), ' · ',
      h('a', { href: threadPath(order.buyer_id, listing.id) }, 'Message the buyer'));
  }, () => undefined);
  return line;
}
