// The SMS port over Twilio's official SDK. The SDK's REST domain takes its address from
// TWILIO_API_URL, so the same code talks to Twilio or to a stand-in. The SDK's own retries are
// off: the worker decides what is worth retrying (429, 5xx, network) and what is final.
import type twilio from 'twilio';
import type { SmsConfig } from '../../../core/config/sms.js';
import { SmsSendError, type AcceptedSms, type OutgoingSms, type SmsPort } from './port.js';

type TwilioClient = ReturnType<typeof twilio>;

export class TwilioSms implements SmsPort {
  /** The SDK is loaded on the first SMS: it is a large part of a start that never texts. */
  private client: Promise<TwilioClient> | undefined;

  constructor(private readonly config: Pick<SmsConfig, 'accountSid' | 'authToken' | 'from' | 'messagingServiceSid' | 'apiUrl' | 'timeoutMs'>) {
    if (!config.accountSid || !config.authToken) throw new Error('TwilioSms needs TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN');
  }

  private twilioClient(): Promise<TwilioClient> {
    const { accountSid, authToken, timeoutMs, apiUrl } = this.config;
    return (this.client ??= import('twilio').then(({ default: sdk }) => {
      // logLevel is pinned: TWILIO_LOG_LEVEL=debug in the environment would make the SDK print every request.
      const client = sdk(accountSid!, authToken!, { timeout: timeoutMs, autoRetry: false, logLevel: 'info' });
      client.api.baseUrl = apiUrl;
      return client;
    }));
  }

  async send(sms: OutgoingSms): Promise<AcceptedSms> {
    const sender = this.config.messagingServiceSid ? { messagingServiceSid: this.config.messagingServiceSid } : { from: this.config.from! };
    try {
      const message = await (await this.twilioClient()).messages.create({ to: sms.to, body: sms.body, ...sender, ...(sms.statusCallbackUrl ? { statusCallback: sms.statusCallbackUrl } : {}) });
      return { sid: message.sid, status: message.status };
    } catch (error) {
      throw toSendError(error);
    }
  }
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'ENETUNREACH', 'EHOSTUNREACH', 'ERR_NETWORK']);

/**
 * Twilio's answer as a typed error. Only the status, Twilio's code and its message are kept: the
 * HTTP client's own error carries the request, Authorization header included, and must not travel.
 */
export function toSendError(error: unknown): SmsSendError {
  const e = error as { status?: unknown; code?: unknown; message?: unknown; moreInfo?: unknown };
  if (typeof e.status === 'number') {
    const retriable = e.status === 429 || e.status >= 500;
    const vendorCode = typeof e.code === 'number' ? e.code : undefined;
    const text = typeof e.message === 'string' && e.message ? e.message : 'no message';
    return new SmsSendError(`Twilio answered HTTP ${e.status}${vendorCode === undefined ? '' : ` (error ${vendorCode})`}: ${text.slice(0, 300)}`, retriable, e.status, vendorCode);
  }
  const code = typeof e.code === 'string' ? e.code : undefined;
  if (code && NETWORK_CODES.has(code)) return new SmsSendError(`Twilio could not be reached (${code}${code === 'ECONNABORTED' ? ': timed out' : ''})`, true);
  return new SmsSendError(`sending through Twilio failed: ${code ?? (error instanceof Error ? error.name : 'unknown error')}`, true);
}
