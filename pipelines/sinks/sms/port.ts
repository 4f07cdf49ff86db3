// The SMS port: what the platform needs of an SMS service, whatever sends it.
import { PlatformError } from '../../../core/errors.js';

export interface OutgoingSms {
  to: string;
  body: string;
  /** Where the service reports the message's delivery statuses. */
  statusCallbackUrl?: string;
}

export interface AcceptedSms {
  /** The service's id of the message (Twilio's SM... / MM... sid). */
  sid: string;
  /** The first status the service gave it (queued, accepted, sending, ...). */
  status: string;
}

export interface SmsPort {
  send(sms: OutgoingSms): Promise<AcceptedSms>;
}

/**
 * The service refused or could not take a message. Retriable for throttling (429), its own
 * failures (5xx) and the network; fatal for what sending again would not change (an invalid
 * number, a number that opted out), with the service's error code.
 */
export class SmsSendError extends PlatformError {
  readonly code = 'SMS_SEND_FAILED';
  constructor(message: string, readonly retriable: boolean, readonly httpStatus?: number, readonly vendorCode?: number) {
    super(message);
  }
}
