// The payments port, its Stripe adapter, and the one place that picks it from the settings.
import type { PaymentsConfig } from '../../core/config/payments.js';
import type { PaymentsPort } from './port.js';
import { StripePayments } from './stripe.js';

export type { Payment, PaymentEvent, PaymentsPort, Refund } from './port.js';
export { PaymentProviderUnavailable, PaymentRefused, PaymentSignatureInvalid } from './errors.js';

/** undefined without STRIPE_SECRET_KEY: orders are then paid when placed. */
export function paymentsFromConfig(config: PaymentsConfig): PaymentsPort | undefined {
  return config.stripe ? new StripePayments(config.stripe) : undefined;
}
