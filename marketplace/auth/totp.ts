// Time-based one-time codes (RFC 6238: SHA-1, 6 digits, 30-second steps), the staff accounts'
// optional second factor. Pure: the secret and the time come in, a step number comes out, so the
// caller can refuse a code whose step was used already (a code seen over a shoulder is spent).
import { Secret, TOTP } from 'otpauth';

const PERIOD_S = 30;
/** One step either side: a phone's clock a little off still works, a code stays valid at most 90 s. */
const WINDOW = 1;

/** A new random base32 secret (160 bits, as RFC 4226 recommends). */
export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

function totp(secret: string, account: string): TOTP {
  return new TOTP({ issuer: 'Steveslist staff', label: account, algorithm: 'SHA1', digits: 6, period: PERIOD_S, secret: Secret.fromBase32(secret) });
}

/** The otpauth:// URI an authenticator app reads (as text or a QR code). */
export function totpUri(secret: string, account: string): string {
  return totp(secret, account).toString();
}

/** The code for a time: for tests and for people checking their app against the server. */
export function totpCode(secret: string, atMs = Date.now()): string {
  return totp(secret, '').generate({ timestamp: atMs });
}

/** The 30-second step the code belongs to, or undefined when it matches none in the window. */
export function totpStep(secret: string, code: string, atMs = Date.now()): number | undefined {
  if (!/^\d{6}$/.test(code)) return undefined;
  const delta = totp(secret, '').validate({ token: code, timestamp: atMs, window: WINDOW });
  return delta === null ? undefined : Math.floor(atMs / 1000 / PERIOD_S) + delta;
}
