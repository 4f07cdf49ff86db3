// An order's status in words.
import type { OrderStatus } from '../../../client/index.js';

export function orderStatusText(status: OrderStatus | string): string {
  const words: Record<string, string> = {
    pending_payment: 'Awaiting payment', placed: 'Placed', paid: 'Paid', shipped: 'Shipped', completed: 'Completed',
    payment_failed: 'Payment failed', cancelled: 'Cancelled', refunded: 'Refunded',
  };
  return words[status] ?? status;
}
