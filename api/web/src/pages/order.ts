// One order, seen by its buyer or its seller: the listing, the other party, the price paid.
import { NotFoundError, type Order } from '../../../../client/index.js';
import type { Page, PageContext } from '../app.js';
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
    const unpaid = ['pending_payment', 'payment_failed', 'cancelled'].includes(order.status);
    const placed = context.query.get('placed') === '1' && buying && !unpaid;
    return h('section', { class: 'order narrow' },
      h('h1', {}, `Order #${order.id}`),
      placed ? h('p', { class: 'notice success', role: 'status' }, `You bought it for ${price}. ${counterpart} has been told.`) : null,
      await paymentNotice(context, order, buying),
      h('dl', { class: 'facts', 'data-testid': 'order-facts' },
        h('dt', {}, 'Item'), h('dd', {}, h('a', { href: `/listings/${order.listing_id}` }, order.listing_name ?? `Listing ${order.listing_id}`)),
        h('dt', {}, buying ? 'Seller' : 'Buyer'), h('dd', {}, counterpart),
        h('dt', {}, unpaid ? 'Price' : 'Price paid'), h('dd', {}, price),
        h('dt', {}, 'Status'), h('dd', {}, orderStatusText(order.status)),
        h('dt', {}, 'Date'), h('dd', {}, new Date(order.created_at).toLocaleString())),
      h('div', { class: 'actions' },
        h('a', { href: threadPath(counterpartId, order.listing_id), class: 'button' }, buying ? 'Message the seller' : 'Message the buyer'),
        h('a', { href: buying ? '/orders' : '/orders?role=seller', class: 'button secondary' }, buying ? 'All purchases' : 'All sales')));
  },
};

/**
 * Where the platform takes payments, an order waits for the payment to be confirmed with the
 * provider. The page says so plainly: this app has no card form, so it never pretends to take one.
 */
async function paymentNotice(context: PageContext, order: Order, buying: boolean) {
  if (order.status === 'pending_payment') {
    return h('p', { class: 'notice', role: 'status', 'data-testid': 'payment-state' },
      buying
        ? 'Awaiting payment. The item is held for you; the order is complete once the payment is confirmed, and the seller is told then.'
        : 'Awaiting payment: the buyer has not paid yet. You are told when the payment is confirmed.');
  }
  if (order.status !== 'payment_failed') return null;
  // Only the buyer is told the provider's reason (the API gives the seller none).
  const payment = buying ? await context.app.api().orders.payment(order.id, { signal: context.signal }).catch(() => undefined) : undefined;
  return h('p', { class: 'notice error', role: 'status', 'data-testid': 'payment-state' },
    `The payment did not go through${payment?.error ? `: ${payment.error.replace(/\.$/, '')}` : ''}. ${buying ? 'The item is back on sale; you can buy it again.' : 'The item is back on sale.'}`);
}
