// The spam checks' rules: pure functions from a sign-up or a message and the facts gathered about
// it to the rules it trips, each with its action, a reason staff read, and the values compared.
import type { SpamAction, SpamChecksConfig } from '../../../core/config/checks.js';

export const SPAM_RULES = ['disposable_email', 'signup_burst', 'links_from_new_account', 'same_text'] as const;
export type SpamRule = (typeof SPAM_RULES)[number];

export interface SpamFinding {
  rule: SpamRule;
  action: SpamAction;
  reason: string;
  values: Record<string, unknown>;
}

export interface SignupFacts {
  email: string;
  /** Whether the email's domain is on the disposable-mail list. */
  disposableDomain: boolean;
  /** Sign-ups from the same client address within the window, this one included; absent when the address is unknown. */
  signupsFromAddress?: number;
}

export interface MessageFacts {
  body: string;
  /** How old the sender's account was when the message was sent. */
  senderAgeMs: number;
  /** Distinct recipients of the same text from this sender within the window, this message's included. */
  sameTextRecipients: number;
}

const minutes = (ms: number) => Math.round(ms / 60_000);

export function checkSignup(facts: SignupFacts, config: SpamChecksConfig): SpamFinding[] {
  const findings: SpamFinding[] = [];
  const domain = facts.email.slice(facts.email.lastIndexOf('@') + 1).toLowerCase();
  if (facts.disposableDomain) {
    findings.push({ rule: 'disposable_email', action: config.disposableEmail.action, reason: `the email address is at ${domain}, a disposable-mail domain`, values: { domain } });
  }
  const burst = config.signupBurst;
  if (facts.signupsFromAddress !== undefined && facts.signupsFromAddress > burst.max) {
    findings.push({
      rule: 'signup_burst', action: burst.action,
      reason: `${facts.signupsFromAddress} sign-ups from the same address in ${minutes(burst.windowMs)} minutes (more than ${burst.max})`,
      values: { signups: facts.signupsFromAddress, max: burst.max, window_minutes: minutes(burst.windowMs) },
    });
  }
  return findings;
}

// A scheme, a www. host, or a bare host with a common top-level domain: what a spammer's link looks like.
const LINK = /\b(?:https?:\/\/|www\.)\S+|\b[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.(?:com|net|org|info|biz|io|co|ru|cn|xyz|top|online|site|shop|click|link|ly|me|gg)\b(?:\/\S*)?/gi;

/** The links in a text (at most 10). */
export function linksIn(text: string): string[] {
  return [...text.matchAll(LINK)].slice(0, 10).map((match) => match[0]);
}

export function checkMessage(facts: MessageFacts, config: SpamChecksConfig): SpamFinding[] {
  const findings: SpamFinding[] = [];
  const links = config.linksFromNewAccounts;
  const found = linksIn(facts.body);
  if (found.length > 0 && facts.senderAgeMs < links.newAccountMs) {
    findings.push({
      rule: 'links_from_new_account', action: links.action,
      reason: `a link (${found[0]}) in a message from an account ${Math.max(0, Math.floor(facts.senderAgeMs / 3_600_000))} hours old (younger than ${Math.round(links.newAccountMs / 3_600_000)} hours)`,
      values: { links: found, account_age_hours: Math.floor(facts.senderAgeMs / 3_600_000), new_account_hours: Math.round(links.newAccountMs / 3_600_000) },
    });
  }
  const same = config.sameText;
  if (facts.sameTextRecipients > same.maxRecipients) {
    findings.push({
      rule: 'same_text', action: same.action,
      reason: `the same text sent to ${facts.sameTextRecipients} recipients in ${minutes(same.windowMs)} minutes (more than ${same.maxRecipients})`,
      values: { recipients: facts.sameTextRecipients, max: same.maxRecipients, window_minutes: minutes(same.windowMs) },
    });
  }
  return findings;
}
