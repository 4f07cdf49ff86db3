// The payments settings: none by default (orders paid when placed), Stripe with a key and the
// webhook's signing secret, every problem named with the setting.
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { redactConfig } from './redact-config.js';
import { readPayments } from './payments.js';
import { SettingsReader } from './settings-reader.js';

function read(env: NodeJS.ProcessEnv) {
  const r = new SettingsReader(env, '/');
  const payments = readPayments(r);
  r.finish();
  return payments;
}

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    read(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return [...(error as ConfigError).problems];
  }
  throw new Error('expected a ConfigError');
}

const KEY = 'sk_test_51Habc';
const WHSEC = 'whsec_abc123';

describe('payments settings', () => {
  it('takes no payments without STRIPE_SECRET_KEY', () => {
    expect(read({})).toEqual({ stripe: undefined });
  });

  it('reads Stripe with defaults for the API URL, timeout, retries and tolerance', () => {
    expect(read({ STRIPE_SECRET_KEY: KEY, STRIPE_WEBHOOK_SECRET: WHSEC })).toEqual({
      stripe: { secretKey: KEY, webhookSecret: WHSEC, apiUrl: 'https://api.stripe.com', timeoutMs: 20_000, maxNetworkRetries: 2, webhookToleranceSeconds: 300, paymentExpiryMinutes: 60 },
    });
    expect(read({ STRIPE_SECRET_KEY: KEY, STRIPE_WEBHOOK_SECRET: WHSEC, STRIPE_API_URL: 'http://127.0.0.1:12111', STRIPE_TIMEOUT_MS: '5000', STRIPE_MAX_NETWORK_RETRIES: '0' }).stripe)
      .toMatchObject({ apiUrl: 'http://127.0.0.1:12111', timeoutMs: 5000, maxNetworkRetries: 0 });
  });

  it('names each setting that is wrong or missing', () => {
    expect(problemsOf({ STRIPE_SECRET_KEY: KEY })).toEqual([expect.stringMatching(/^STRIPE_WEBHOOK_SECRET: missing while STRIPE_SECRET_KEY is set/)]);
    expect(problemsOf({ STRIPE_WEBHOOK_SECRET: WHSEC })).toEqual([expect.stringMatching(/^STRIPE_WEBHOOK_SECRET: is set but STRIPE_SECRET_KEY is not/)]);
    expect(problemsOf({ STRIPE_SECRET_KEY: 'pk_test_publishable', STRIPE_WEBHOOK_SECRET: WHSEC })).toEqual([expect.stringMatching(/^STRIPE_SECRET_KEY: expected a secret or restricted key/)]);
    expect(problemsOf({ STRIPE_SECRET_KEY: KEY, STRIPE_WEBHOOK_SECRET: WHSEC, STRIPE_API_URL: 'api.stripe.com', STRIPE_MAX_NETWORK_RETRIES: '99' })).toEqual([
      expect.stringMatching(/^STRIPE_API_URL: expected an http/), expect.stringMatching(/^STRIPE_MAX_NETWORK_RETRIES: expected a number from 0 to 10/),
    ]);
  });

  it('never repeats a key in an error or in the printed configuration', () => {
    const problems = problemsOf({ STRIPE_SECRET_KEY: 'pk_live_should_not_echo', STRIPE_WEBHOOK_SECRET: WHSEC }).join('\n');
    expect(problems).not.toContain('pk_live_should_not_echo');
    const printed = JSON.stringify(redactConfig(read({ STRIPE_SECRET_KEY: KEY, STRIPE_WEBHOOK_SECRET: WHSEC })));
    expect(printed).not.toContain(KEY);
    expect(printed).not.toContain(WHSEC);
  });
});
