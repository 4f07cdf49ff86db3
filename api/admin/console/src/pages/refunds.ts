// Refunds: an order by its id, refunded with a reason (also offered on a user's orders).
import { api } from '../api.js';
import { h } from '../dom.js';
import type { PageContext } from '../router.js';
import { card, confirmAction, field, link, notice, pageHeader } from '../ui.js';

export function refundsPage(_context: PageContext): HTMLElement {
  const order = h('input', { name: 'order', inputmode: 'numeric', required: true, pattern: '[0-9]+', placeholder: 'Order id' });
  const messages = h('div', { class: 'messages' });
  const form = h('form', { class: 'filters' }, field('Order', order), h('button', { type: 'submit', class: 'danger' }, 'Refund…'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const id = order.value.trim();
    const reason = await confirmAction({ title: `Refund order #${id}?`, body: 'The buyer gets the money back and both sides are told. This cannot be undone.', confirmLabel: 'Refund', reason: true, destructive: true });
    if (reason === undefined) return;
    try {
      const result = await api<{ id: number; status: string; previous_status?: string }>('POST', `/admin/orders/${id}/refund`, { reason });
      messages.replaceChildren(notice('ok', `Order #${result.id} refunded.`));
      messages.firstElementChild!.append(' ', link(`/audit?target_type=order&target_id=${result.id}`, 'See the audit row'));
    } catch (error) {
      messages.replaceChildren(notice('error', (error as Error).message));
    }
  });
  return h('div', {}, pageHeader('Refunds', 'Placed, paid, shipped and completed orders can be refunded. Find orders from the user’s page.'), messages,
    card(null, form, h('p', { class: 'muted small' }, 'Refunded orders are listed in the audit trail under order.refund.'),
      link('/audit?action=order.refund', 'Recent refunds →')));
}
