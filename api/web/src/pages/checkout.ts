// The step between "Buy" and an order: what, for how much, from whom, and one button to confirm.
import { ConflictError, NotFoundError, type Listing } from '../../../../client/index.js';
import type { App, Page } from '../app.js';
import { h } from '../dom.js';
import { messageOf } from '../errors.js';
import { formOptions, labelOf } from '../form-options.js';
import { requireSession } from '../login-redirect.js';
import { formatPrice } from '../money.js';
import { notFound } from './listing.js';

export const checkoutPage: Page = {
  title: 'Confirm your purchase',
  async render(context) {
    const session = requireSession(context);
    if (!session) return h('p', {}, 'Log in to buy.');
    const { app, params, signal } = context;
    let listing: Listing;
    try {
      listing = await app.api().listings.get(Number(params.id), { signal });
    } catch (error) {
      if (error instanceof NotFoundError) return notFound();
      throw error;
    }
    const back = h('a', { href: `/listings/${listing.id}` }, 'Back to the listing');
    const heading = h('h1', {}, 'Confirm your purchase');
    if (listing.seller_id === session.user.id) return h('section', {}, heading, h('p', {}, 'This is your own listing.'), back);
    if (listing.status !== 'active') return h('section', {}, heading, h('p', { role: 'status' }, listing.status === 'sold' ? 'Already sold: someone else bought it first.' : 'This listing is not for sale.'), back);
    const [seller, options] = await Promise.all([
      app.api().accounts.profile(listing.seller_id, { signal }).catch(() => undefined),
      formOptions(app).catch(() => undefined),
    ]);
    const price = formatPrice(listing.price_amount, listing.price_currency);
    const notice = h('p', { class: 'notice', role: 'status' });
    const confirm = h('button', { type: 'button' }, `Confirm purchase for ${price}`);
    const actions = h('div', { class: 'actions' }, confirm, h('a', { href: `/listings/${listing.id}`, class: 'button secondary' }, 'Cancel'));
    confirm.addEventListener('click', () => void buy(app, listing, confirm, actions, notice));
    return h('section', { class: 'checkout narrow' },
      heading,
      h('dl', { class: 'facts summary', 'data-testid': 'checkout-summary' },
        h('dt', {}, 'Item'), h('dd', {}, h('a', { href: `/listings/${listing.id}` }, listing.name)),
        h('dt', {}, 'Seller'), h('dd', {}, seller ? `${seller.name}${seller.city ? `, ${seller.city}` : ''}` : 'A Steveslist member'),
        h('dt', {}, 'Location'), h('dd', {}, `${listing.city}, ${labelOf(options?.countries ?? [], listing.country)}`),
        h('dt', {}, 'Price'), h('dd', { class: 'price', 'data-testid': 'checkout-price' }, price)),
      h('p', { class: 'hint' }, 'Confirming places the order at this price; the seller is told at once and you arrange pick-up or delivery with them in Messages.'),
      actions,
      notice);
  },
};

async function buy(app: App, listing: Listing, button: HTMLButtonElement, actions: HTMLElement, notice: HTMLElement): Promise<void> {
  button.disabled = true;
  notice.textContent = '';
  try {
    const order = await app.api().orders.place(listing.id);
    app.navigate(`/orders/${order.id}?placed=1`);
  } catch (error) {
    if (error instanceof ConflictError && (await isSold(app, listing.id))) {
      actions.replaceChildren();
      notice.textContent = 'Already sold: someone else bought it first.';
      return;
    }
    notice.textContent = messageOf(error);
    button.disabled = false;
  }
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
