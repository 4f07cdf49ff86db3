// Staff log-in and roles on the admin API over real HTTP against a real MariaDB: bearer and
// cookie sessions, CSRF on cookie changes, the TOTP second factor, lock-out, the audit of every
// attempt, and each role refused (403, nothing written) an action that belongs to another.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addAdminUser, STAFF_ROLES, type StaffRole } from '../../marketplace/auth/admin-accounts.js';
import { totpCode } from '../../marketplace/auth/totp.js';
import { signUp } from '../../marketplace/auth/user-accounts.js';
import { fileComplaint } from '../../marketplace/domain/complaints.js';
import { createListing } from '../../marketplace/domain/listings.js';
import type { RowDataPacket } from '../../marketplace/mysql/connection.js';
import { capturedLog } from '../../test/fixtures/captured-log.js';
import { createTestDatabase, type TestDatabase } from '../../test/fixtures/database.js';
import { httpClient } from '../../test/fixtures/http-client.js';
import { buildAdminServer } from './server.js';

let db: TestDatabase;
let admin: FastifyInstance;
let call: ReturnType<typeof httpClient>;
let baseUrl: string;
const PASSWORD = 'correct horse battery staple';
const tokens = new Map<StaffRole, string>();

beforeAll(async () => {
  db = await createTestDatabase();
  admin = await buildAdminServer({ pool: db.pool, log: capturedLog('info').log, lockout: { maxFailures: 3, minutes: 10 } });
  baseUrl = await admin.listen({ host: '127.0.0.1', port: 0 });
  call = httpClient(baseUrl);
  for (const role of STAFF_ROLES) {
    await addAdminUser(db.pool, `${role}-1`, PASSWORD, { role });
    const login = await call('POST', '/admin/session', { body: { username: `${role}-1`, password: PASSWORD } });
    expect(login.status).toBe(200);
    expect(login.body.role).toBe(role);
    tokens.set(role, login.body.token);
  }
});
afterAll(async () => {
  await admin?.close();
  await db?.close();
});

async function auditRows(where: string, params: unknown[]): Promise<RowDataPacket[]> {
  const [rows] = await db.pool.query<RowDataPacket[]>(`SELECT admin_username, action, target_type, target_id, details FROM admin_audit WHERE ${where} ORDER BY id`, params);
  return rows.map((row) => ({ ...row, details: typeof row.details === 'string' ? JSON.parse(row.details) : row.details }));
}

async function auditCount(): Promise<number> {
  const [[row]] = await db.pool.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM admin_audit');
  return Number(row!.n);
}

let people = 0;
async function listingWithComplaint() {
  const seller = (await signUp(db.pool, { email: `seller${++people}@example.com`, password: 'password-long-enough', name: 'Seller', country: 'DE', city: 'Köln' })).user;
  const reporter = (await signUp(db.pool, { email: `reporter${people}@example.com`, password: 'password-long-enough', name: 'Reporter', country: 'DE', city: 'Köln' })).user;
  const listingId = await createListing(db.pool, {
    sellerId: seller.id, name: 'Lamp', description: 'Bright.', category: 'home', country: 'DE', city: 'Köln', priceAmount: 1500, priceCurrency: 'eur',
  });
  const complaintId = await fileComplaint(db.pool, { reporterId: reporter.id, listingId, reason: 'spam' });
  return { sellerId: seller.id, listingId, complaintId };
}

describe('staff roles, enforced by the API', () => {
  it('refuses support removing a listing (moderation), with nothing written', async () => {
    const { listingId } = await listingWithComplaint();
    const before = await auditCount();
    const refused = await call('POST', `/admin/listings/${listingId}/remove`, { token: tokens.get('support'), body: { reason: 'spam' } });
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ error: 'forbidden' });
    expect(refused.body.message).toContain('support role may not POST /admin/listings/:id/remove');
    expect(await auditCount()).toBe(before);
    const [[row]] = await db.pool.query<RowDataPacket[]>('SELECT status FROM listings WHERE id = ?', [listingId]);
    expect(row!.status).toBe('active');
    // The role that may, does.
    expect((await call('POST', `/admin/listings/${listingId}/remove`, { token: tokens.get('moderator'), body: { reason: 'spam' } })).status).toBe(200);
  });

  it('refuses a moderator refunding an order (support)', async () => {
    const refused = await call('POST', '/admin/orders/1/refund', { token: tokens.get('moderator'), body: { reason: 'asked' } });
    expect(refused.status).toBe(403);
    // The 403 comes before the order is even looked up: support gets the 404 for a missing order.
    expect((await call('POST', '/admin/orders/1/refund', { token: tokens.get('support'), body: { reason: 'asked' } })).status).toBe(404);
  });

  it('refuses an analyst looking at a user (personal data)', async () => {
    const { sellerId } = await listingWithComplaint();
    expect((await call('GET', `/admin/users/${sellerId}`, { token: tokens.get('analyst') })).status).toBe(403);
    expect((await call('GET', '/admin/users?q=Seller', { token: tokens.get('analyst') })).status).toBe(403);
    expect((await call('GET', `/admin/users/${sellerId}`, { token: tokens.get('support') })).status).toBe(200);
  });

  it('refuses an operator resolving a complaint (moderation)', async () => {
    const { complaintId } = await listingWithComplaint();
    const refused = await call('POST', `/admin/complaints/${complaintId}/resolve`, { token: tokens.get('operator'), body: { reason: 'handled' } });
    expect(refused.status).toBe(403);
    const resolved = await call('POST', `/admin/complaints/${complaintId}/resolve`, { token: tokens.get('moderator'), body: { reason: 'handled' } });
    expect(resolved.status).toBe(200);
  });

  it('keeps the staff accounts list to admins', async () => {
    for (const role of ['support', 'moderator', 'analyst', 'operator'] as const) {
      expect((await call('GET', '/admin/accounts', { token: tokens.get(role) })).status).toBe(403);
    }
    const list = await call('GET', '/admin/accounts', { token: tokens.get('admin') });
    expect(list.status).toBe(200);
    expect(list.body.data.map((account: { username: string; role: string }) => `${account.username}:${account.role}`)).toEqual(
      expect.arrayContaining(['admin-1:admin', 'analyst-1:analyst', 'support-1:support']),
    );
    expect(JSON.stringify(list.body)).not.toContain('scrypt');
  });

  it('checks the role before the input, so a refused caller learns nothing about it', async () => {
    const refused = await call('POST', '/admin/listings/not-a-number/remove', { token: tokens.get('analyst'), body: {} });
    expect(refused.status).toBe(403);
  });
});

describe('log-in', () => {
  it('audits a log-in and a failed one, naming the account', async () => {
    await addAdminUser(db.pool, 'audited', PASSWORD, { role: 'support' });
    expect((await call('POST', '/admin/session', { body: { username: 'audited', password: 'not the password' } })).status).toBe(401);
    expect((await call('POST', '/admin/session', { body: { username: 'audited', password: PASSWORD } })).status).toBe(200);
    const rows = await auditRows('admin_username = ?', ['audited']);
    expect(rows.map((row) => [row.action, row.details.why])).toEqual([['admin_user.login_failed', 'wrong password'], ['admin_user.login', undefined]]);
    expect(rows[0]!.target_type).toBe('admin_user');
    expect(rows[0]!.details.ip).toBe('127.0.0.1');
  });

  it('audits an attempt on an account that does not exist, with the same answer as a wrong password', async () => {
    const answer = await call('POST', '/admin/session', { body: { username: 'nobody-here', password: PASSWORD } });
    expect(answer.status).toBe(401);
    expect(answer.body.message).toBe('wrong username, password or code');
    expect((await auditRows('admin_username = ?', ['nobody-here'])).map((row) => row.details.why)).toEqual(['no such account']);
  });

  it('locks an account after repeated failures, even to the right password, and audits the lock', async () => {
    await addAdminUser(db.pool, 'locked', PASSWORD, { role: 'support' });
    for (let attempt = 0; attempt < 3; attempt++) {
      expect((await call('POST', '/admin/session', { body: { username: 'locked', password: `wrong-${attempt}` } })).body.error).toBe('unauthorized');
    }
    const refused = await call('POST', '/admin/session', { body: { username: 'locked', password: PASSWORD } });
    expect(refused.status).toBe(401);
    expect(refused.body).toMatchObject({ error: 'locked' });
    expect(refused.body.message).toContain('10 minutes');
    expect((await auditRows('admin_username = ? AND action = ?', ['locked', 'admin_user.locked'])).map((row) => row.details.failures)).toEqual([3]);
    // The lock ends by itself.
    await db.pool.query("UPDATE admin_users SET locked_until = UTC_TIMESTAMP(6) - INTERVAL 1 SECOND WHERE username = 'locked'");
    expect((await call('POST', '/admin/session', { body: { username: 'locked', password: PASSWORD } })).status).toBe(200);
  });

  it('asks an account with TOTP for its code, accepts a right one once, and counts a wrong one as a failure', async () => {
    const { totpUri } = await addAdminUser(db.pool, 'two-factor', PASSWORD, { role: 'operator', totp: true });
    expect(totpUri).toMatch(/^otpauth:\/\/totp\/Steveslist%20staff:two-factor\?issuer=Steveslist%20staff&secret=[A-Z2-7]{32}&/);
    const secret = new URL(totpUri!).searchParams.get('secret')!;
    const asked = await call('POST', '/admin/session', { body: { username: 'two-factor', password: PASSWORD } });
    expect(asked.status).toBe(401);
    expect(asked.body).toMatchObject({ error: 'totp_required', field: 'totp' });
    const wrong = await call('POST', '/admin/session', { body: { username: 'two-factor', password: PASSWORD, totp: '000000' === totpCode(secret) ? '111111' : '000000' } });
    expect(wrong.body.error).toBe('unauthorized');
    const code = totpCode(secret);
    const ok = await call('POST', '/admin/session', { body: { username: 'two-factor', password: PASSWORD, totp: code } });
    expect(ok.status).toBe(200);
    expect((await call('POST', '/admin/session', { body: { username: 'two-factor', password: PASSWORD, totp: code } })).status).toBe(401);
    const [[row]] = await db.pool.query<RowDataPacket[]>("SELECT failed_logins FROM admin_users WHERE username = 'two-factor'");
    expect(Number(row!.failed_logins)).toBe(1);
    expect((await auditRows("admin_username = 'two-factor'", [])).map((entry) => entry.details.why ?? entry.action))
      .toEqual(['no TOTP code', 'wrong TOTP code', 'admin_user.login', 'TOTP code used already']);
  });
});

describe('cookie sessions', () => {
  async function cookieLogin(username: string) {
    const response = await fetch(`${baseUrl}/admin/session`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password: PASSWORD, cookie: true }),
    });
    expect(response.status).toBe(200);
    const body = await response.json() as { csrf_token: string; role: string };
    const setCookies = response.headers.getSetCookie();
    const cookie = setCookies.map((line) => line.split(';')[0]).join('; ');
    return { body, setCookies, cookie };
  }

  it('sets an HttpOnly, SameSite=Strict session cookie and keeps the token out of the body', async () => {
    const { body, setCookies } = await cookieLogin('moderator-1');
    expect(body).not.toHaveProperty('token');
    expect(body.role).toBe('moderator');
    const session = setCookies.find((line) => line.startsWith('sl_staff='))!;
    expect(session).toContain('HttpOnly');
    expect(session).toContain('SameSite=Strict');
    const csrf = setCookies.find((line) => line.startsWith('sl_csrf='))!;
    expect(csrf).toContain(`sl_csrf=${body.csrf_token}`);
    expect(csrf).not.toContain('HttpOnly');
  });

  it('reads with the cookie alone, but changes only with the CSRF header', async () => {
    const { body, cookie } = await cookieLogin('moderator-1');
    const me = await call('GET', '/admin/session', { headers: { cookie } });
    expect(me.body).toEqual({ username: 'moderator-1', role: 'moderator', kind: 'cookie' });
    const { listingId } = await listingWithComplaint();
    const forged = await call('POST', `/admin/listings/${listingId}/remove`, { headers: { cookie }, body: { reason: 'spam' } });
    expect(forged.status).toBe(403);
    expect(forged.body).toMatchObject({ error: 'csrf', field: 'x-csrf-token' });
    const wrong = await call('POST', `/admin/listings/${listingId}/remove`, { headers: { cookie, 'x-csrf-token': 'slc_guess' }, body: { reason: 'spam' } });
    expect(wrong.status).toBe(403);
    const done = await call('POST', `/admin/listings/${listingId}/remove`, { headers: { cookie, 'x-csrf-token': body.csrf_token }, body: { reason: 'spam' } });
    expect(done.status).toBe(200);
  });

  it('ends the session on log-out, and a cookie token does not work as a bearer one nor the other way round', async () => {
    const { body, cookie } = await cookieLogin('support-1');
    const cookieToken = /sl_staff=([^;]+)/.exec(cookie)![1]!;
    expect((await call('GET', '/admin/session', { token: cookieToken })).status).toBe(200);
    expect((await call('GET', '/admin/session', { headers: { cookie: `sl_staff=${tokens.get('support')}` } })).status).toBe(401);
    const out = await call('DELETE', '/admin/session', { headers: { cookie, 'x-csrf-token': body.csrf_token } });
    expect(out.status).toBe(200);
    expect(out.headers.getSetCookie().some((line) => line.startsWith('sl_staff=;') && line.includes('Max-Age=0'))).toBe(true);
    expect((await call('GET', '/admin/session', { headers: { cookie } })).status).toBe(401);
  });
});

describe('the console', () => {
  it('is served at / without a session, while the API keeps answering JSON 401', async () => {
    const page = await fetch(`${baseUrl}/`);
    expect([200, 503]).toContain(page.status);
    expect(page.headers.get('content-type')).toMatch(page.status === 200 ? /text\/html/ : /text\/plain/);
    const api = await call('GET', '/admin/pipeline-nope');
    expect(api.status).toBe(401);
    expect(api.body.error).toBe('unauthorized');
    expect((await call('GET', '/admin/pipeline-nope', { token: tokens.get('support') })).status).toBe(404);
  });
});
