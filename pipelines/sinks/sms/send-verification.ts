// Texts a verification code at once (the user waits for it on the settings page), logged like
// every SMS but without the code.
import type { Pool } from '../../../marketplace/mysql/connection.js';
import { CODE_TTL_MINUTES, PhoneInputError } from '../../../marketplace/domain/phones.js';
import { SmsSendError, type SmsPort } from './port.js';
import { callbackUrlFor, logVerificationWithinLimit, recordAccepted, recordFailure } from './sms-log.js';
import { loggedVerificationText, verificationText } from './texts.js';

/** Codes texted to one number per hour, whoever asks: several accounts must not flood one phone. */
export const MAX_CODES_PER_NUMBER_PER_HOUR = 10;

export async function sendVerificationCode(pool: Pool, sms: SmsPort, options: { userId: number; phone: string; code: string; statusCallbackUrl?: string }): Promise<number> {
  const id = await logVerificationWithinLimit(pool, { userId: options.userId, to: options.phone, body: loggedVerificationText(CODE_TTL_MINUTES) }, { max: MAX_CODES_PER_NUMBER_PER_HOUR, minutes: 60 });
  if (id === undefined) throw new PhoneInputError('phone', `this number was sent ${MAX_CODES_PER_NUMBER_PER_HOUR} codes within the hour; try again later`, true);
  try {
    const accepted = await sms.send({
      to: options.phone, body: verificationText(options.code, CODE_TTL_MINUTES),
      statusCallbackUrl: options.statusCallbackUrl ? callbackUrlFor(options.statusCallbackUrl, id) : undefined,
    });
    await recordAccepted(pool, id, 1, accepted);
    return id;
  } catch (error) {
    const failure = error instanceof SmsSendError ? error : new SmsSendError(`sending failed: ${(error as Error).message}`, true);
    await recordFailure(pool, id, { status: failure.retriable ? 'dead' : 'rejected', attempts: 1, error: failure.message, errorCode: failure.vendorCode });
    throw failure;
  }
}
