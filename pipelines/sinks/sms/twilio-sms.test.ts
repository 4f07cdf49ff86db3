// The Twilio adapter with the real twilio SDK against a stand-in for Twilio's Messages API on
// 127.0.0.1 (the service cannot be reached from here): what it sends, and how each of Twilio's
// answers becomes a retriable or a final error, with no credential in the error.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTwilioStandIn, type TwilioStandIn } from '../../../test/fixtures/twilio-stand-in.js';
import { SmsSendError } from './port.js';
import { TwilioSms } from './twilio-sms.js';

let twilioApi: TwilioStandIn;
let sms: TwilioSms;

beforeAll(async () => {
  twilioApi = await startTwilioStandIn();
  sms = new TwilioSms({ accountSid: twilioApi.accountSid, authToken: twilioApi.authToken, from: undefined, messagingServiceSid: `MG${'c'.repeat(32)}`, apiUrl: twilioApi.url, timeoutMs: 300 });
});
afterAll(() => twilioApi?.close());

const failure = (promise: Promise<unknown>) => promise.then(() => { throw new Error('expected a failure'); }, (error: unknown) => error as SmsSendError);

describe('the Twilio adapter', () => {
  it('sends through the messaging service with the status callback, as Twilio\'s API takes it', async () => {
    const accepted = await sms.send({ to: '+447700900100', body: 'Hello', statusCallbackUrl: 'https://api.example.com/v1/sms/status?sms=1' });
    expect(accepted).toEqual({ sid: expect.stringMatching(/^SM[0-9a-f]{32}$/), status: 'queued' });
    expect(twilioApi.messages.at(-1)).toMatchObject({ to: '+447700900100', body: 'Hello', messagingServiceSid: `MG${'c'.repeat(32)}`, from: undefined, statusCallback: 'https://api.example.com/v1/sms/status?sms=1' });
  });

  it('makes throttling and Twilio\'s own failures retriable, a refusal final', async () => {
    twilioApi.fail({ status: 429, code: 20429, message: 'Too Many Requests' });
    expect(await failure(sms.send({ to: '+447700900101', body: 'x' }))).toMatchObject({ retriable: true, httpStatus: 429, vendorCode: 20429, message: 'Twilio answered HTTP 429 (error 20429): Too Many Requests' });
    twilioApi.fail({ status: 500, code: 20500, message: 'Internal Server Error' });
    expect(await failure(sms.send({ to: '+447700900101', body: 'x' }))).toMatchObject({ retriable: true, httpStatus: 500 });
    const refused = await failure(sms.send({ to: '+4477', body: 'x' }));
    expect(refused).toMatchObject({ retriable: false, httpStatus: 400, vendorCode: 21211 });
  });

  it('times out a request Twilio does not answer, as retriable', async () => {
    twilioApi.stall(1_500);
    const error = await failure(sms.send({ to: '+447700900102', body: 'x' }));
    expect(error).toBeInstanceOf(SmsSendError);
    expect(error).toMatchObject({ retriable: true, message: 'Twilio could not be reached (ECONNABORTED: timed out)' });
  });

  it('keeps the credentials out of its errors', async () => {
    const wrong = new TwilioSms({ accountSid: twilioApi.accountSid, authToken: 'f'.repeat(32), from: '+15005550006', messagingServiceSid: undefined, apiUrl: twilioApi.url, timeoutMs: 1_000 });
    const error = await failure(wrong.send({ to: '+447700900103', body: 'x' }));
    expect(error).toMatchObject({ retriable: false, httpStatus: 401, vendorCode: 20003 });
    expect(JSON.stringify({ ...error, message: error.message, stack: error.stack })).not.toContain('f'.repeat(32));
    const closed = new TwilioSms({ accountSid: twilioApi.accountSid, authToken: twilioApi.authToken, from: '+15005550006', messagingServiceSid: undefined, apiUrl: 'http://127.0.0.1:1', timeoutMs: 1_000 });
    const unreachable = await failure(closed.send({ to: '+447700900104', body: 'x' }));
    expect(unreachable).toMatchObject({ retriable: true, message: 'Twilio could not be reached (ECONNREFUSED)' });
    expect(JSON.stringify({ ...unreachable, message: unreachable.message, stack: unreachable.stack })).not.toContain(twilioApi.authToken);
  });
});
