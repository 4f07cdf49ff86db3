// My purchases and my sales: what, with whom, the price paid (the order keeps it, whatever the
// listing says now), the status and the date, a page at a time.
import type { Order } from '../../../../client/index.js';
import type { Page } from '../app.js';
import { h } from '../dom.js';
import { requireSession } from '../login-redirect.js';
import { showMore } from '../show-more.js';
import { formatPrice } from '../money.js';
import { orderStatusText } from '../order-status.js';

const PAGE_SIZE = 20;

export const ordersPage: Page = {
  title: 'Orders',
  async render(context) {
    if (!requireSession(context)) return h('p', {}, 'Log in to see your orders.');
    const role = context.query.get('role') === 'seller' ? 'seller' : 'buyer';
    const api = context.app.api();
    const first = await api.orders.list({ role, limit: PAGE_SIZE }, { signal: context.signal });
    const tabs = h('nav', { class: 'tabs', 'aria-label': 'Orders' },
      h('a', { href: '/orders', 'aria-current': role === 'buyer' ? 'page' : undefined }, 'Purchases'),
      h('a', { href: '/orders?role=seller', 'aria-current': role === 'seller' ? 'page' : undefined }, 'Sales'));
    const heading = h('h1', {}, role === 'buyer' ? 'My purchases' : 'My sales');
    if (first.data.length === 0) {
      return h('section', {}, heading, tabs, role === 'buyer'
        ? h('p', {}, 'Nothing bought yet. ', h('a', { href: '/' }, 'Find something'))
        : h('p', {}, 'Nothing sold yet. ', h('a', { href: '/listings/new' }, 'Sell something')));
    }
    const body = h('tbody', {}, ...first.data.map((order) => row(order, role)));
    const table = h('table', { class: 'mine orders', 'data-testid': 'orders' },
      h('thead', {}, h('tr', {},
        h('th', { scope: 'col' }, 'Order'), h('th', { scope: 'col' }, 'Listing'), h('th', { scope: 'col' }, role === 'buyer' ? 'Seller' : 'Buyer'),
        h('th', { scope: 'col' }, 'Price paid'), h('th', { scope: 'col' }, 'Status'), h('th', { scope: 'col' }, 'Date'))),
      body);
    const [more, problem] = showMore(first.next_cursor,
      (cursor) => api.orders.list({ role, limit: PAGE_SIZE, cursor }, { signal: context.signal }),
      (orders) => body.append(...orders.map((order) => row(order, role))), context.signal);
    return h('section', {}, heading, tabs, h('div', { class: 'table-scroll' }, table), more, problem);
  },
};

function row(order: Order, role: 'buyer' | 'seller'): HTMLElement {
  const counterpart = role === 'buyer' ? order.seller_name : order.buyer_name;
  return h('tr', {},
    h('td', { 'data-label': 'Order' }, h('a', { href: `/orders/${order.id}` }, `#${order.id}`)),
    h('td', { 'data-label': 'Listing' }, h('a', { href: `/listings/${order.listing_id}` }, order.listing_name ?? `Listing ${order.listing_id}`)),
    h('td', { 'data-label': role === 'buyer' ? 'Seller' : 'Buyer' }, counterpart ?? 'A former member'),
    h('td', { 'data-label': 'Price paid' }, formatPrice(order.amount, order.currency)),
    h('td', { 'data-label': 'Status' }, orderStatusText(order.status)),
    h('td', { 'data-label': 'Date' }, new Date(order.created_at).toLocaleDateString()));
}
