// The SMS role's entry: the port the configuration names (Twilio, or none when SMS is off).
import type { SmsConfig } from '../../../core/config/sms.js';
import type { SmsPort } from './port.js';
import { TwilioSms } from './twilio-sms.js';

export { SMS_GROUP, SmsWorker } from './sms-worker.js';
export type { SmsPort } from './port.js';

/** What start-up says when SMS is off, and how to turn it on. */
export const SMS_OFF_NOTICE = 'SMS is off: set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM (or TWILIO_MESSAGING_SERVICE_SID) to text users';

export function openSms(config: SmsConfig): SmsPort | undefined {
  return config.enabled ? new TwilioSms(config) : undefined;
}

/** The public server's SMS options: the port and what checks Twilio's callbacks. */
export function smsRouteOptions(config: SmsConfig, port = openSms(config)): { port: SmsPort; authToken: string; statusCallbackUrl?: string } | undefined {
  return port && config.authToken ? { port, authToken: config.authToken, statusCallbackUrl: config.statusCallbackUrl } : undefined;
}
