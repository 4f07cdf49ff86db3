// Bearer secrets (session tokens, API keys): long random strings with a prefix that says what
// they are. Being random, they need no slow hash: a SHA-256 is stored, never the token.
import { createHash, randomBytes } from 'node:crypto';

export function newSecretToken(prefix: string): string {
  return `${prefix}${randomBytes(32).toString('base64url')}`;
}

export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
