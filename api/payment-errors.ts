// What a failed call to the payment provider means to an API caller: the provider's reason is
// shown, with whether trying again can help.
import { PaymentProviderUnavailable, PaymentRefused, PaymentSignatureInvalid } from '../marketplace/payments/errors.js';
import { ApiError } from './errors.js';

export function paymentFailure(error: unknown, retryHint: string): unknown {
  if (error instanceof PaymentProviderUnavailable) return new ApiError(502, 'payment_provider_unavailable', `${error.message}; ${retryHint}`);
  if (error instanceof PaymentRefused) return new ApiError(402, 'payment_refused', error.message);
  if (error instanceof PaymentSignatureInvalid) return new ApiError(400, 'invalid_signature', error.message, 'stripe-signature');
  return error;
}
