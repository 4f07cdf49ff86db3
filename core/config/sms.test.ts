// The SMS settings: off without Twilio's, on with all of them, and a half-done setup refused
// with every missing setting named.
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { loadConfig } from './index.js';

const SID = `AC${'0123456789abcdef'.repeat(2)}`;
const load = (env: Record<string, string>) => loadConfig({ ...env }, { cwd: process.cwd(), dotEnv: false });

describe('SMS settings', () => {
  it('leave SMS off when no Twilio setting is given', () => {
    expect(load({}).sms).toMatchObject({ enabled: false, apiUrl: 'https://api.twilio.com', statusCallbackUrl: undefined });
  });

  it('turn SMS on with an account, a token and a sender, and take another API address', () => {
    const { sms } = load({ TWILIO_ACCOUNT_SID: SID, TWILIO_AUTH_TOKEN: 'secret-token', TWILIO_FROM: '+15005550006', TWILIO_API_URL: 'http://127.0.0.1:9999', SMS_STATUS_CALLBACK_URL: 'https://api.example.com/v1/sms/status' });
    expect(sms).toMatchObject({ enabled: true, from: '+15005550006', apiUrl: 'http://127.0.0.1:9999', statusCallbackUrl: 'https://api.example.com/v1/sms/status', timeoutMs: 10_000 });
  });

  it('refuse a half-done setup, naming what is missing and what is malformed', () => {
    const error = (() => {
      try {
        load({ TWILIO_ACCOUNT_SID: 'AC123', TWILIO_FROM: '07700 900123' });
      } catch (caught) {
        return caught as ConfigError;
      }
      throw new Error('expected a ConfigError');
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain('TWILIO_ACCOUNT_SID: expected AC followed by 32 hex digits');
    expect(error.message).toContain('TWILIO_FROM: expected a phone number in E.164 form such as +14155550100, got "07700 900123"');
    expect(error.message).toContain('TWILIO_ACCOUNT_SID: SMS needs TWILIO_AUTH_TOKEN too');
  });
});
