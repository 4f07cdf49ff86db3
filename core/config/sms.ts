// SMS through Twilio: the account, the sender, the API's address (a stand-in in tests) and the
// public URL Twilio posts delivery statuses to. Without an account and a sender, SMS is off.
import type { SettingsReader } from './settings-reader.js';

export interface SmsConfig {
  /** False unless TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and a sender are all set. */
  enabled: boolean;
  accountSid: string | undefined;
  authToken: string | undefined;
  /** The sending number (E.164); or messagingServiceSid, which wins when both are set. */
  from: string | undefined;
  messagingServiceSid: string | undefined;
  /** Twilio's REST API; another host in tests and behind an egress proxy. */
  apiUrl: string;
  /** The public address of POST /v1/sms/status (Twilio signs over it); undefined: no delivery statuses. */
  statusCallbackUrl: string | undefined;
  /** Per request to Twilio. */
  timeoutMs: number;
}

export function readSms(r: SettingsReader): SmsConfig {
  const accountSid = r.optionalString('TWILIO_ACCOUNT_SID');
  const authToken = r.optionalString('TWILIO_AUTH_TOKEN');
  const from = r.optionalString('TWILIO_FROM');
  const messagingServiceSid = r.optionalString('TWILIO_MESSAGING_SERVICE_SID');
  const apiUrl = r.httpUrl('TWILIO_API_URL') ?? 'https://api.twilio.com';
  const statusCallbackUrl = r.httpUrl('SMS_STATUS_CALLBACK_URL');
  const timeoutMs = r.integer('TWILIO_TIMEOUT_MS', 10_000, 100, 120_000);
  if (accountSid !== undefined && !/^AC[0-9a-fA-F]{32}$/.test(accountSid)) r.fail('TWILIO_ACCOUNT_SID', 'expected AC followed by 32 hex digits (the Account SID on the Twilio console)');
  if (from !== undefined && !/^\+[1-9]\d{6,14}$/.test(from)) r.fail('TWILIO_FROM', `expected a phone number in E.164 form such as +14155550100, got "${from}"`);
  if (messagingServiceSid !== undefined && !/^MG[0-9a-fA-F]{32}$/.test(messagingServiceSid)) r.fail('TWILIO_MESSAGING_SERVICE_SID', 'expected MG followed by 32 hex digits');
  const given = [accountSid, authToken, from ?? messagingServiceSid].filter((value) => value !== undefined).length;
  if (given > 0 && given < 3) {
    const missing = [
      accountSid === undefined ? 'TWILIO_ACCOUNT_SID' : undefined, authToken === undefined ? 'TWILIO_AUTH_TOKEN' : undefined,
      from === undefined && messagingServiceSid === undefined ? 'TWILIO_FROM (or TWILIO_MESSAGING_SERVICE_SID)' : undefined,
    ].filter(Boolean);
    r.fail('TWILIO_ACCOUNT_SID', `SMS needs ${missing.join(' and ')} too (or none of the TWILIO_ settings, which turns SMS off)`);
  }
  return { enabled: given === 3, accountSid, authToken, from, messagingServiceSid, apiUrl, statusCallbackUrl, timeoutMs };
}
