// A user's opt-in phone number for SMS notifications: E.164 only, verified by a code sent to it
// before anything else is, with per-user preferences for what to text about. The code is kept
// hashed, expires, allows a few wrong guesses, and sending codes is rate-limited.
import { createHash, randomInt, timingSafeEqual } from 'node:crypto';
import { NotFoundError, PlatformError } from '../../core/errors.js';
import type { Pool, ResultSetHeader, RowDataPacket } from '../mysql/connection.js';
import { withTransaction } from './transaction.js';

export const CODE_TTL_MINUTES = 10;
export const MAX_WRONG_CODES = 5;
/** Codes a user may have sent per hour, and the wait between two. */
export const MAX_SENDS_PER_HOUR = 5;
export const RESEND_AFTER_SECONDS = 60;

/** The user's input cannot be taken as it is: `field` names what to fix. */
export class PhoneInputError extends PlatformError {
  readonly code = 'PHONE_INPUT';
  readonly retriable = false;
  constructor(readonly field: string, readonly reason: string, readonly tooMany = false) {
    super(`${field}: ${reason}`);
  }
}

export interface UserPhone {
  phone: string;
  verified: boolean;
  verified_at: string | null;
  sms_orders: boolean;
  sms_messages: boolean;
  /** A code is waiting to be typed back, until this time. */
  code_expires_at: string | null;
}

/**
 * The number in E.164 (+ country code and subscriber number, 8 to 15 digits), from what a person
 * types: spaces, dashes, dots and brackets are dropped, a leading 00 taken for +.
 */
export function toE164(input: string): string {
  const compact = input.trim().replace(/[\s\-.()]/g, '').replace(/^00/, '+');
  if (!compact.startsWith('+')) throw new PhoneInputError('phone', 'start with + and the country code, e.g. +44 7700 900123 or +1 415 555 0100');
  if (!/^\+\d+$/.test(compact)) throw new PhoneInputError('phone', 'use digits only after the +, e.g. +44 7700 900123');
  if (compact[1] === '0') throw new PhoneInputError('phone', 'a country code never starts with 0: write +44 7700 900123 rather than +0 7700...');
  const digits = compact.length - 1;
  if (digits < 8 || digits > 15) throw new PhoneInputError('phone', `an international number has 8 to 15 digits after the +; this one has ${digits}`);
  return compact;
}

function codeHash(userId: number, phone: string, code: string): string {
  return createHash('sha256').update(`${userId}:${phone}:${code}`).digest('hex');
}

/** A DATETIME as the pool returns it (a UTC string) or a Date, as a Date. */
const toDate = (value: unknown): Date => (value instanceof Date ? value : new Date(`${String(value).replace(' ', 'T')}Z`));

const time = (value: unknown): string | null => (value === null || value === undefined ? null : value instanceof Date ? value.toISOString() : `${String(value).replace(' ', 'T')}Z`);

export async function getPhone(pool: Pool, userId: number): Promise<UserPhone> {
  const [rows] = await pool.query<RowDataPacket[]>(
    `SELECT p.phone_e164, p.verified_at, p.sms_orders, p.sms_messages, v.expires_at
     FROM user_phones p LEFT JOIN phone_verifications v ON v.user_id = p.user_id AND v.phone_e164 = p.phone_e164 AND v.expires_at > UTC_TIMESTAMP(6)
     WHERE p.user_id = ?`, [userId],
  );
  const row = rows[0];
  if (!row) throw new NotFoundError('you have no phone number; add one with PUT /v1/me/phone');
  return {
    phone: String(row.phone_e164), verified: row.verified_at !== null, verified_at: time(row.verified_at),
    sms_orders: Boolean(row.sms_orders), sms_messages: Boolean(row.sms_messages), code_expires_at: row.verified_at === null ? time(row.expires_at) : null,
  };
}

/**
 * Sets the user's number (unverified if it is a new one) and makes a verification code for it,
 * returned so the caller can text it; only its hash is stored. Refused while the last code is
 * under a minute old or after five codes within the hour.
 */
export interface StartedVerification {
  phone: string;
  code: string;
  expiresAt: Date;
  /** The limits' counters before this code, to put back if it could not be sent. */
  before: { sends: number; windowStartedAt: Date; lastSentAt: Date } | undefined;
}

export async function startPhoneVerification(pool: Pool, userId: number, phoneInput: string, now = new Date()): Promise<StartedVerification> {
  const phone = toE164(phoneInput);
  return withTransaction(pool, async (connection) => {
    await connection.query('SELECT id FROM users WHERE id = ? FOR UPDATE', [userId]);
    const [current] = await connection.query<RowDataPacket[]>('SELECT phone_e164, verified_at FROM user_phones WHERE user_id = ?', [userId]);
    if (current[0] && current[0].phone_e164 === phone && current[0].verified_at !== null) {
      throw new PhoneInputError('phone', `${phone} is already verified`);
    }
    const [pending] = await connection.query<RowDataPacket[]>('SELECT sends, window_started_at, last_sent_at FROM phone_verifications WHERE user_id = ?', [userId]);
    let sends = 1;
    let windowStart = now;
    let before: StartedVerification['before'];
    if (pending[0]) {
      const lastSent = toDate(pending[0].last_sent_at);
      const started = toDate(pending[0].window_started_at);
      before = { sends: Number(pending[0].sends), windowStartedAt: started, lastSentAt: lastSent };
      const waitSeconds = Math.ceil(RESEND_AFTER_SECONDS - (now.getTime() - lastSent.getTime()) / 1000);
      if (waitSeconds > 0) throw new PhoneInputError('phone', `a code was sent less than a minute ago; ask for another in ${waitSeconds} s`, true);
      if (now.getTime() - started.getTime() < 3_600_000) {
        sends = Number(pending[0].sends) + 1;
        windowStart = started;
        if (sends > MAX_SENDS_PER_HOUR) {
          const minutes = Math.ceil((started.getTime() + 3_600_000 - now.getTime()) / 60_000);
          throw new PhoneInputError('phone', `${MAX_SENDS_PER_HOUR} codes were sent within the hour; ask again in ${minutes} min`, true);
        }
      }
    }
    await connection.query(
      `INSERT INTO user_phones (user_id, phone_e164) VALUES (?, ?)
       ON DUPLICATE KEY UPDATE verified_at = IF(phone_e164 = VALUES(phone_e164), verified_at, NULL), phone_e164 = VALUES(phone_e164)`, [userId, phone],
    );
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    const expiresAt = new Date(now.getTime() + CODE_TTL_MINUTES * 60_000);
    await connection.query(
      `INSERT INTO phone_verifications (user_id, phone_e164, code_hash, expires_at, failed_attempts, sends, window_started_at, last_sent_at) VALUES (?, ?, ?, ?, 0, ?, ?, ?)
       ON DUPLICATE KEY UPDATE phone_e164 = VALUES(phone_e164), code_hash = VALUES(code_hash), expires_at = VALUES(expires_at), failed_attempts = 0,
         sends = VALUES(sends), window_started_at = VALUES(window_started_at), last_sent_at = VALUES(last_sent_at)`,
      [userId, phone, codeHash(userId, phone, code), expiresAt, sends, windowStart, now],
    );
    return { phone, code, expiresAt, before };
  });
}

/**
 * The code could not be sent: it is void (no one received it) and does not count against the
 * limits, so the user can ask again at once.
 */
export async function cancelUnsentCode(pool: Pool, userId: number, started: StartedVerification): Promise<void> {
  if (!started.before) {
    await pool.query('DELETE FROM phone_verifications WHERE user_id = ?', [userId]);
    return;
  }
  const { sends, windowStartedAt, lastSentAt } = started.before;
  await pool.query('UPDATE phone_verifications SET expires_at = UTC_TIMESTAMP(6), sends = ?, window_started_at = ?, last_sent_at = ? WHERE user_id = ?',
    [sends, windowStartedAt, lastSentAt, userId]);
}

/** Checks a typed-back code: the right one verifies the number; a wrong one counts. */
export async function confirmPhoneVerification(pool: Pool, userId: number, codeInput: string, now = new Date()): Promise<UserPhone> {
  const code = codeInput.trim();
  if (!/^\d{6}$/.test(code)) throw new PhoneInputError('code', 'type the 6 digits of the code we sent by SMS');
  const outcome = await withTransaction(pool, async (connection) => {
    const [rows] = await connection.query<RowDataPacket[]>(
      'SELECT v.phone_e164, v.code_hash, v.expires_at, v.failed_attempts FROM phone_verifications v JOIN user_phones p ON p.user_id = v.user_id AND p.phone_e164 = v.phone_e164 WHERE v.user_id = ? FOR UPDATE', [userId],
    );
    const row = rows[0];
    if (!row) return new PhoneInputError('code', 'no code is waiting: add your number first (PUT /v1/me/phone), which sends one');
    if (toDate(row.expires_at).getTime() <= now.getTime()) return new PhoneInputError('code', 'this code has expired; ask for a new one');
    if (Number(row.failed_attempts) >= MAX_WRONG_CODES) return new PhoneInputError('code', 'too many wrong codes; ask for a new one', true);
    const expected = Buffer.from(String(row.code_hash), 'hex');
    const given = Buffer.from(codeHash(userId, String(row.phone_e164), code), 'hex');
    if (!timingSafeEqual(expected, given)) {
      await connection.query('UPDATE phone_verifications SET failed_attempts = failed_attempts + 1 WHERE user_id = ?', [userId]);
      const left = MAX_WRONG_CODES - Number(row.failed_attempts) - 1;
      return new PhoneInputError('code', left > 0 ? `wrong code; ${left} ${left === 1 ? 'try' : 'tries'} left` : 'wrong code, and that was the last try; ask for a new one', left <= 0);
    }
    await connection.query('UPDATE user_phones SET verified_at = ? WHERE user_id = ?', [now, userId]);
    await connection.query('DELETE FROM phone_verifications WHERE user_id = ?', [userId]);
    return undefined;
  });
  // A wrong guess is counted (committed) before it is refused.
  if (outcome) throw outcome;
  return getPhone(pool, userId);
}

/** Which notifications the user wants by SMS. */
export async function setSmsPreferences(pool: Pool, userId: number, preferences: { orders?: boolean; messages?: boolean }): Promise<UserPhone> {
  const sets: string[] = [];
  const params: unknown[] = [];
  if (preferences.orders !== undefined) {
    sets.push('sms_orders = ?');
    params.push(preferences.orders);
  }
  if (preferences.messages !== undefined) {
    sets.push('sms_messages = ?');
    params.push(preferences.messages);
  }
  if (sets.length > 0) {
    const [result] = await pool.query<ResultSetHeader>(`UPDATE user_phones SET ${sets.join(', ')} WHERE user_id = ?`, [...params, userId]);
    if (result.affectedRows === 0) throw new NotFoundError('you have no phone number; add one with PUT /v1/me/phone');
  }
  return getPhone(pool, userId);
}

/**
 * Forgets the number and voids any code waiting for it; no SMS goes out any more. The counts of
 * codes sent stay: removing and adding a number must not restart the limits on texting codes.
 */
export async function removePhone(pool: Pool, userId: number): Promise<void> {
  await withTransaction(pool, async (connection) => {
    await connection.query('UPDATE phone_verifications SET expires_at = LEAST(expires_at, UTC_TIMESTAMP(6)) WHERE user_id = ?', [userId]);
    await connection.query('DELETE FROM user_phones WHERE user_id = ?', [userId]);
  });
}
