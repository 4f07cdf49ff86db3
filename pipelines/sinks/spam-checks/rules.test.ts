import { describe, expect, it } from 'vitest';
import { readChecks } from '../../../core/config/checks.js';
import { SettingsReader } from '../../../core/config/settings-reader.js';
import { checkMessage, checkSignup, linksIn } from './rules.js';

const config = readChecks(new SettingsReader({}, '/')).spam;
const HOUR = 3_600_000;

describe('the disposable email rule', () => {
  it('trips on a disposable-mail domain', () => {
    expect(checkSignup({ email: 'x@mailinator.com', disposableDomain: true }, config)).toMatchObject([{ rule: 'disposable_email', action: 'flag', values: { domain: 'mailinator.com' } }]);
  });
  it('does not trip on another domain', () => {
    expect(checkSignup({ email: 'ana@example.org', disposableDomain: false, signupsFromAddress: 1 }, config)).toEqual([]);
  });
});

describe('the sign-up burst rule', () => {
  it('trips on more than 5 sign-ups from one address in an hour', () => {
    expect(checkSignup({ email: 'a@example.org', disposableDomain: false, signupsFromAddress: 6 }, config)).toMatchObject([{ rule: 'signup_burst', action: 'flag', values: { signups: 6, max: 5, window_minutes: 60 } }]);
  });
  it('does not trip at the limit or when the address is unknown', () => {
    expect(checkSignup({ email: 'a@example.org', disposableDomain: false, signupsFromAddress: 5 }, config)).toEqual([]);
    expect(checkSignup({ email: 'a@example.org', disposableDomain: false }, config)).toEqual([]);
  });
});

describe('the links rule', () => {
  it('trips on a link from an account younger than a day', () => {
    expect(checkMessage({ body: 'cheap deals at https://spam.example/x', senderAgeMs: 2 * HOUR, sameTextRecipients: 1 }, config))
      .toMatchObject([{ rule: 'links_from_new_account', action: 'rate_limit', values: { links: ['https://spam.example/x'], account_age_hours: 2 } }]);
  });
  it('does not trip on a link from an older account, or on a new account without links', () => {
    expect(checkMessage({ body: 'see www.example.com', senderAgeMs: 48 * HOUR, sameTextRecipients: 1 }, config)).toEqual([]);
    expect(checkMessage({ body: 'Is it still for sale? 3.5 m long.', senderAgeMs: HOUR, sameTextRecipients: 1 }, config)).toEqual([]);
  });
  it('finds bare hosts and www. links', () => {
    expect(linksIn('go to cheap-watches.shop/now or www.x.de')).toEqual(['cheap-watches.shop/now', 'www.x.de']);
  });
});

describe('the same text rule', () => {
  it('trips on the same text to more than 5 recipients', () => {
    expect(checkMessage({ body: 'hello', senderAgeMs: 100 * HOUR, sameTextRecipients: 6 }, config)).toMatchObject([{ rule: 'same_text', action: 'suspend', values: { recipients: 6 } }]);
  });
  it('does not trip at the limit', () => {
    expect(checkMessage({ body: 'hello', senderAgeMs: 100 * HOUR, sameTextRecipients: 5 }, config)).toEqual([]);
  });
  it('takes its action from the settings', () => {
    const flagOnly = readChecks(new SettingsReader({ SPAM_SAME_TEXT_ACTION: 'flag' }, '/')).spam;
    expect(checkMessage({ body: 'hello', senderAgeMs: 100 * HOUR, sameTextRecipients: 6 }, flagOnly)).toMatchObject([{ action: 'flag' }]);
  });
});
