// A user's phone number for SMS notifications (opt-in): add it, type back the code texted to it,
// choose what to be texted about, or remove it. And Twilio's delivery reports for every SMS,
// accepted only with Twilio's signature over the callback's address and parameters.
import type { FastifyPluginAsync } from 'fastify';
import { isRetriable } from '../../../core/errors.js';
import {
  cancelUnsentCode, confirmPhoneVerification, getPhone, PhoneInputError, removePhone, setSmsPreferences, startPhoneVerification,
} from '../../../marketplace/domain/phones.js';
import type { Pool } from '../../../marketplace/mysql/connection.js';
import { SmsSendError, type SmsPort } from '../../../pipelines/sinks/sms/port.js';
import { sendVerificationCode } from '../../../pipelines/sinks/sms/send-verification.js';
import { recordStatusCallback } from '../../../pipelines/sinks/sms/sms-log.js';
import { ApiError, badRequest } from '../../errors.js';
import { callerOf } from '../caller.js';

export interface PhoneRouteOptions {
  pool: Pool;
  /** Off (undefined) without Twilio's settings: numbers can be kept but no code is sent. */
  sms?: { port: SmsPort; authToken: string; statusCallbackUrl?: string };
}

const nullableTime = { type: ['string', 'null'], format: 'date-time' } as const;

export const phoneSchema = {
  type: 'object',
  properties: {
    phone: { type: 'string', description: 'E.164, e.g. +447700900123' },
    verified: { type: 'boolean', description: 'Only a verified number gets notifications' },
    verified_at: nullableTime,
    sms_orders: { type: 'boolean', description: 'Text me when I buy or sell something' },
    sms_messages: { type: 'boolean', description: 'Text me when someone writes to me' },
    code_expires_at: { ...nullableTime, description: 'A code was sent and can be typed back until then' },
  },
} as const;

const tags = ['phone'];

function asApiError(error: unknown): unknown {
  if (error instanceof PhoneInputError) return error.tooMany ? new ApiError(429, 'rate_limited', error.message, error.field) : badRequest(error.field, error.reason);
  if (error instanceof SmsSendError) {
    if (isRetriable(error)) return new ApiError(503, 'sms_unavailable', 'the SMS with your code could not be sent just now; ask for a new code in a minute');
    return badRequest('phone', `the SMS service refused this number${error.vendorCode === undefined ? '' : ` (error ${error.vendorCode})`}; check it and try again`);
  }
  return error;
}

export const phoneRoutes: FastifyPluginAsync<PhoneRouteOptions> = async (app, { pool, sms }) => {
  const smsOff = () => new ApiError(503, 'sms_off', 'SMS is not set up on this platform, so no code can be sent');

  async function sendCode(userId: number, phone: string) {
    if (!sms) throw smsOff();
    const started = await startPhoneVerification(pool, userId, phone);
    try {
      await sendVerificationCode(pool, sms.port, { userId, phone: started.phone, code: started.code, statusCallbackUrl: sms.statusCallbackUrl });
    } catch (error) {
      await cancelUnsentCode(pool, userId, started);
      throw error;
    }
    return getPhone(pool, userId);
  }

  app.get('/v1/me/phone', {
    schema: { tags, summary: 'Your phone number for SMS notifications, whether it is verified, and what you are texted about', response: { 200: phoneSchema } },
    config: { auth: 'required' },
  }, async (request) => getPhone(pool, callerOf(request).userId));

  app.put<{ Body: { phone: string } }>('/v1/me/phone', {
    schema: {
      tags, summary: 'Add or change your number; a 6-digit code is texted to it (at most one a minute, five an hour)',
      body: { type: 'object', required: ['phone'], additionalProperties: false, properties: { phone: { type: 'string', minLength: 1, maxLength: 30, description: 'With + and the country code, e.g. +44 7700 900123' } } },
      response: { 202: phoneSchema },
    },
    config: { auth: 'required' },
  }, async (request, reply) => {
    try {
      return reply.code(202).send(await sendCode(callerOf(request).userId, request.body.phone));
    } catch (error) {
      throw asApiError(error);
    }
  });

  app.post('/v1/me/phone/code', {
    schema: { tags, summary: 'Text a new code to your unverified number', response: { 202: phoneSchema } },
    config: { auth: 'required' },
  }, async (request, reply) => {
    const { userId } = callerOf(request);
    const current = await getPhone(pool, userId);
    try {
      return reply.code(202).send(await sendCode(userId, current.phone));
    } catch (error) {
      throw asApiError(error);
    }
  });

  app.post<{ Body: { code: string } }>('/v1/me/phone/verification', {
    schema: {
      tags, summary: 'Type back the code texted to your number; the right one verifies it (five wrong ones end the code)',
      body: { type: 'object', required: ['code'], additionalProperties: false, properties: { code: { type: 'string', minLength: 1, maxLength: 20 } } },
      response: { 200: phoneSchema },
    },
    config: { auth: 'required' },
  }, async (request) => {
    try {
      return await confirmPhoneVerification(pool, callerOf(request).userId, request.body.code);
    } catch (error) {
      throw asApiError(error);
    }
  });

  app.patch<{ Body: { sms_orders?: boolean; sms_messages?: boolean } }>('/v1/me/phone', {
    schema: {
      tags, summary: 'Choose what you are texted about',
      body: { type: 'object', additionalProperties: false, minProperties: 1, properties: { sms_orders: { type: 'boolean' }, sms_messages: { type: 'boolean' } } },
      response: { 200: phoneSchema },
    },
    config: { auth: 'required' },
  }, async (request) => setSmsPreferences(pool, callerOf(request).userId, { orders: request.body.sms_orders, messages: request.body.sms_messages }));

  app.delete('/v1/me/phone', { schema: { tags, summary: 'Remove your number: no more SMS' }, config: { auth: 'required' } }, async (request, reply) => {
    await removePhone(pool, callerOf(request).userId);
    return reply.code(204).send();
  });

  // Twilio posts form fields; the API's other routes keep JSON only.
  await app.register(async (callbacks) => {
    callbacks.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(String(body))));
    });
    callbacks.post<{ Body: Record<string, string>; Querystring: { sms?: string } }>('/v1/sms/status', {
      schema: {
        tags, summary: "Twilio's delivery status callback (signed with X-Twilio-Signature); not for API clients",
        querystring: { type: 'object', properties: { sms: { type: 'string', maxLength: 20 } } },
      },
    }, async (request, reply) => {
      if (!sms?.statusCallbackUrl) throw new ApiError(404, 'not_found', 'SMS status callbacks are not set up on this platform');
      const params = typeof request.body === 'object' && request.body !== null ? request.body : {};
      const signature = request.headers['x-twilio-signature'];
      // Twilio signs the address it was given (the setting plus this SMS's query), not whatever a proxy forwarded.
      const query = request.url.includes('?') ? request.url.slice(request.url.indexOf('?') + 1) : '';
      const base = sms.statusCallbackUrl.split('?')[0]!;
      const signedUrl = query ? `${base}?${query}` : base;
      // Twilio's SDK is loaded by the first callback, not by every start of the API.
      const { validateRequest } = (await import('twilio')).default;
      if (typeof signature !== 'string' || !validateRequest(sms.authToken, signature, signedUrl, params)) {
        throw new ApiError(400, 'bad_signature', 'X-Twilio-Signature: missing or not valid for this address and these parameters');
      }
      const smsId = Number(request.query.sms);
      if (!Number.isSafeInteger(smsId) || smsId < 1) throw badRequest('sms', 'the callback address names no SMS');
      const sid = params.MessageSid ?? params.SmsSid;
      const status = params.MessageStatus ?? params.SmsStatus;
      if (!sid) throw badRequest('MessageSid', 'missing');
      if (!status) throw badRequest('MessageStatus', 'missing');
      const errorCode = params.ErrorCode && /^\d+$/.test(params.ErrorCode) ? Number(params.ErrorCode) : undefined;
      const outcome = await recordStatusCallback(pool, smsId, { sid, status, errorCode });
      if (outcome === 'unknown_message') throw new ApiError(404, 'not_found', `SMS ${smsId} with sid ${sid} is not ours`);
      return reply.code(204).send();
    });
  });
};
