// The payments port, its Stripe adapter, and the one place that picks it from the settings.
import type { PaymentsConfig } from '../../core/config/payments.js';
import type { PaymentsPort } from './port.js';
import { StripePayments } from './stripe.js';

export type { Payment, PaymentEvent, PaymentsPort, Refund } from './port.js';
export { PaymentProviderUnavailable, PaymentRefused, PaymentSignatureInvalid } from './errors.js';

/** One adapter per settings: the servers and the scheduler's jobs of one process share its client and connections. */
const made = new WeakMap<PaymentsConfig, PaymentsPort | undefined>();

/** undefined without STRIPE_SECRET_KEY: orders are then paid when placed. */
export function paymentsFromConfig(config: PaymentsConfig): PaymentsPort | undefined {
  if (!made.has(config)) made.set(config, config.stripe ? new StripePayments(config.stripe) : undefined);
  return made.get(config);
}
