// One order, seen by its buyer or its seller: the listing, the other party, the price paid.
import { NotFoundError } from '../../../../client/index.js';
import type { Page } from '../app.js';
import { h } from '../dom.js';
import { requireSession } from '../login-redirect.js';
import { formatPrice } from '../money.js';
import { orderStatusText } from '../order-status.js';
import { threadPath } from '../threads.js';

export const orderPage: Page = {
  title: 'Order',
  async render(context) {
    const session = requireSession(context);
    if (!session) return h('p', {}, 'Log in to see your orders.');
    const id = Number(context.params.id);
    let order;
    try {
      order = await context.app.api().orders.get(id, { signal: context.signal });
    } catch (error) {
      if (error instanceof NotFoundError) return h('section', {}, h('h1', {}, 'Order not found'), h('p', {}, h('a', { href: '/orders' }, 'Your orders')));
      throw error;
    }
    const buying = order.buyer_id === session.user.id;
    const counterpartId = buying ? order.seller_id : order.buyer_id;
    const counterpart = (buying ? order.seller_name : order.buyer_name) ?? 'a former member';
    document.title = `Order #${order.id} · Steveslist`;
    const price = formatPrice(order.amount, order.currency);
    const placed = context.query.get('placed') === '1' && buying;
    return h('section', { class: 'order narrow' },
      h('h1', {}, `Order #${order.id}`),
      placed ? h('p', { class: 'notice success', role: 'status' }, `You bought it for ${price}. ${counterpart} has been told.`) : null,
      h('dl', { class: 'facts', 'data-testid': 'order-facts' },
        h('dt', {}, 'Item'), h('dd', {}, h('a', { href: `/listings/${order.listing_id}` }, order.listing_name ?? `Listing ${order.listing_id}`)),
        h('dt', {}, buying ? 'Seller' : 'Buyer'), h('dd', {}, counterpart),
        h('dt', {}, 'Price paid'), h('dd', {}, price),
        h('dt', {}, 'Status'), h('dd', {}, orderStatusText(order.status)),
        h('dt', {}, 'Date'), h('dd', {}, new Date(order.created_at).toLocaleString())),
      h('div', { class: 'actions' },
        h('a', { href: threadPath(counterpartId, order.listing_id), class: 'button' }, buying ? 'Message the seller' : 'Message the buyer'),
        h('a', { href: buying ? '/orders' : '/orders?role=seller', class: 'button secondary' }, buying ? 'All purchases' : 'All sales')));
  },
};
