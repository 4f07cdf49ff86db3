// Failures of calls to the payment provider, each saying whether trying again can help.
import { PlatformError } from '../../core/errors.js';

/** The provider could not be reached or failed on its side (network, timeout, 409, 429, 5xx) after the SDK's retries. */
export class PaymentProviderUnavailable extends PlatformError {
  readonly code = 'PAYMENT_PROVIDER_UNAVAILABLE';
  readonly retriable = true;
}

/** The provider refused the request (a declined card, an invalid amount, a bad key): repeating it changes nothing. */
export class PaymentRefused extends PlatformError {
  readonly code = 'PAYMENT_REFUSED';
  readonly retriable = false;
}

/** A posted event whose signature is missing, wrong or too old. */
export class PaymentSignatureInvalid extends PlatformError {
  readonly code = 'PAYMENT_SIGNATURE_INVALID';
  readonly retriable = false;
}
