// One listing: what it is, and what the visitor can do with it (buy it, or edit and remove their own).
import { ConflictError, NotFoundError, type Listing } from '../../../../client/index.js';
import type { App, Page } from '../app.js';
import { h, replaceChildren } from '../dom.js';
import { messageOf } from '../errors.js';
import { formatPrice } from '../money.js';

export const listingPage: Page = {
  title: 'Listing',
  async render({ app, params, signal }) {
    const id = Number(params.id);
    let listing: Listing;
    try {
      listing = await app.api().listings.get(id, { signal });
    } catch (error) {
      if (error instanceof NotFoundError) return h('section', {}, h('h1', {}, 'Listing not found'), h('p', {}, 'It does not exist, or it is no longer on the marketplace. ', h('a', { href: '/' }, 'Search again')));
      throw error;
    }
    document.title = `${listing.name} · Steveslist`;
    const notice = h('p', { class: 'notice', role: 'status' });
    const actions = h('div', { class: 'actions' });
    replaceChildren(actions, ...actionsFor(app, listing, actions, notice));
    return h('article', { class: 'listing' },
      h('h1', {}, listing.name),
      h('p', { class: 'price', 'data-testid': 'listing-price' }, formatPrice(listing.price_amount, listing.price_currency)),
      listing.status === 'active' ? null : h('p', { class: `badge badge-${listing.status}` }, statusText(listing.status)),
      h('dl', { class: 'facts' },
        h('dt', {}, 'Category'), h('dd', {}, listing.category),
        h('dt', {}, 'Location'), h('dd', {}, `${listing.city}, ${listing.country}`),
        h('dt', {}, 'Listed'), h('dd', {}, new Date(listing.created_at).toLocaleDateString())),
      h('p', { class: 'description' }, listing.description),
      actions,
      notice);
  },
};

function statusText(status: Listing['status']): string {
  return { active: 'For sale', draft: 'Draft: only you can see it', sold: 'Sold', removed: 'Removed' }[status];
}

function actionsFor(app: App, listing: Listing, actions: HTMLElement, notice: HTMLElement): Node[] {
  const session = app.session.current;
  const open = listing.status === 'active' || listing.status === 'draft';
  if (session?.user.id === listing.seller_id) {
    if (!open) return [];
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
  if (!session) return [h('a', { href: `/login?next=${encodeURIComponent(`/listings/${listing.id}`)}`, class: 'button' }, 'Log in to buy')];
  const buy = h('button', { type: 'button' }, `Buy for ${formatPrice(listing.price_amount, listing.price_currency)}`);
  buy.addEventListener('click', async () => {
    buy.disabled = true;
    try {
      const order = await app.api().orders.place(listing.id);
      actions.replaceChildren();
      notice.textContent = `You bought it. Order #${order.id}; the seller has been told.`;
    } catch (error) {
      if (error instanceof ConflictError && (await isSold(app, listing.id))) {
        actions.replaceChildren();
        notice.textContent = 'Already sold: someone else bought it first.';
        return;
      }
      notice.textContent = messageOf(error);
      buy.disabled = false;
    }
  });
  return [buy];
}

/** A 409 on buying is most often a sale that beat ours; the listing's status says for sure. */
async function isSold(app: App, id: number): Promise<boolean> {
  try {
    return (await app.api().listings.get(id)).status === 'sold';
  } catch {
    // Gone or unreachable: the caller shows the API's own 409 message instead.
    return false;
  }
}
