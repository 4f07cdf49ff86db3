// Spam checks end to end: sign-ups and messages through the public API -> MariaDB -> change capture
// -> bus -> spam-checks worker -> flag, rate-limit or suspend, each recorded and audited.
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAdminServer } from '../../../api/admin/server.js';
import { buildPublicServer } from '../../../api/public/server.js';
import { readChecks } from '../../../core/config/checks.js';
import { SettingsReader } from '../../../core/config/settings-reader.js';
import { silentLogger } from '../../../core/log.js';
import { addAdminUser } from '../../../marketplace/auth/admin-accounts.js';
import type { RowDataPacket } from '../../../marketplace/mysql/connection.js';
import { startTestReader, type TestReader } from '../../../test/fixtures/cdc.js';
import { createTestDatabase, type TestDatabase } from '../../../test/fixtures/database.js';
import { until } from '../../../test/fixtures/eventually.js';
import { httpClient } from '../../../test/fixtures/http-client.js';
import { tempDir } from '../../../test/fixtures/temp-dir.js';
import { SpamChecksWorker } from './spam-checks-worker.js';

const dir = tempDir();
let db: TestDatabase;
let cdc: TestReader;
let worker: SpamChecksWorker;
let api: FastifyInstance;
let web: ReturnType<typeof httpClient>;
let admin: FastifyInstance;
let staff: ReturnType<typeof httpClient>;
const decided: { userId: number; rules: string[]; actions: string[] }[] = [];

const config = readChecks(new SettingsReader({ SPAM_SIGNUP_BURST_MAX: '8', SPAM_SAME_TEXT_MAX_RECIPIENTS: '3', SPAM_RATE_LIMIT_PER_HOUR: '2' }, '/')).spam;

beforeAll(async () => {
  db = await createTestDatabase('spam');
  cdc = await startTestReader(db.url, join(dir.path, 'cdc'));
  worker = new SpamChecksWorker({ bus: cdc.bus, pool: db.pool, topicPrefix: 'sl', log: silentLogger(), config, onDecision: (userId, rules, actions) => decided.push({ userId, rules, actions }) });
  await worker.start();
  api = await buildPublicServer({ pool: db.pool, log: silentLogger(), rateLimit: { perMinute: 100_000, authPerMinute: 100_000 } });
  web = httpClient(await api.listen({ host: '127.0.0.1', port: 0 }));
  admin = await buildAdminServer({ pool: db.pool, log: silentLogger() });
  staff = httpClient(await admin.listen({ host: '127.0.0.1', port: 0 }));
  for (const [name, role] of [['sue', 'support'], ['ann', 'analyst'], ['mo', 'moderator']] as const) await addAdminUser(db.pool, name, 'correct horse battery staple', { role });
});
afterAll(async () => {
  await admin?.close();
  await api?.close();
  await worker?.stop();
  await cdc?.stop();
  await db?.close();
});

let people = 0;
async function signUp(email = `person${++people}@example.com`): Promise<{ id: number; token: string }> {
  const response = await web('POST', '/v1/users', { body: { email, password: `password-${people}-long`, name: `Person ${people}` } });
  expect(response.status).toBe(201);
  return { id: response.body.user.id, token: response.body.session.token };
}
const send = (from: { token: string }, to: { id: number }, body: string) => web('POST', '/v1/messages', { token: from.token, body: { recipient_id: to.id, body } });
// Every sign-up here comes from 127.0.0.1: past the burst, each is flagged for that too, so the
// message tests look at the messages' checks and actions alone.
const checksOf = async (userId: number, subject = '%') => {
  const [rows] = await db.pool.query<RowDataPacket[]>('SELECT subject, message_id, rule, action, reason FROM user_checks WHERE user_id = ? AND subject LIKE ? ORDER BY id', [userId, subject]);
  return rows;
};
const auditOf = async (userId: number, skip = 'user.flag') => {
  const [rows] = await db.pool.query<RowDataPacket[]>("SELECT admin_username, action, reason FROM admin_audit WHERE target_type = 'user' AND target_id = ? AND action <> ? ORDER BY id", [userId, skip]);
  return rows;
};
const decisionFor = (userId: number, rule: string) => until(() => decided.find((d) => d.userId === userId && d.rules.includes(rule)), (found) => found !== undefined);

describe('spam checks on the bus', () => {
  it('flags a sign-up with a disposable email address, audited, and records where sign-ups came from', async () => {
    const user = await signUp('throwaway@mailinator.com');
    expect(await decisionFor(user.id, 'disposable_email')).toMatchObject({ actions: ['flag'] });
    expect(await checksOf(user.id)).toMatchObject([{ subject: 'signup', rule: 'disposable_email', action: 'flag', reason: 'the email address is at mailinator.com, a disposable-mail domain' }]);
    expect(await auditOf(user.id, '')).toMatchObject([{ admin_username: 'checks:spam-checks', action: 'user.flag' }]);
    const [address] = await db.pool.query<RowDataPacket[]>('SELECT ip FROM signup_addresses WHERE user_id = ?', [user.id]);
    expect(address).toMatchObject([{ ip: '127.0.0.1' }]);
  });

  it('flags the sign-up past the burst from one address, not those before it', async () => {
    const users: { id: number }[] = [];
    // The disposable one above came from this address too: this makes nine in all.
    for (let i = 0; i < 8; i++) users.push(await signUp());
    const ninth = users.at(-1)!;
    expect(await decisionFor(ninth.id, 'signup_burst')).toMatchObject({ actions: ['flag'] });
    expect(await checksOf(ninth.id)).toMatchObject([{ rule: 'signup_burst', reason: '9 sign-ups from the same address in 60 minutes (more than 8)' }]);
    expect(await checksOf(users.at(-2)!.id)).toEqual([]);
  });

  it('rate-limits a new account that sends a link; the limited account gets 429 past its allowance', async () => {
    const [spammer, target] = [await signUp(), await signUp()];
    expect((await send(spammer, target, 'Great deals at https://cheap-watches.example/now')).status).toBe(201);
    expect(await decisionFor(spammer.id, 'links_from_new_account')).toMatchObject({ actions: ['rate_limit'] });
    expect(await checksOf(spammer.id, 'message')).toMatchObject([{ subject: 'message', rule: 'links_from_new_account', action: 'rate_limit' }]);
    expect(await auditOf(spammer.id)).toMatchObject([{ admin_username: 'checks:spam-checks', action: 'user.rate_limit' }]);
    // Two an hour, and one went already.
    expect((await send(spammer, target, 'Is it still there?')).status).toBe(201);
    const refused = await send(spammer, target, 'Hello?');
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ error: 'rate_limited', message: expect.stringContaining('may send 2 messages an hour') });
  });

  it('leaves an ordinary message alone', async () => {
    const [buyer, seller] = [await signUp(), await signUp()];
    expect((await send(buyer, seller, 'Is the bike still for sale? I could pick it up at 5.30 pm.')).status).toBe(201);
    // A later decision shows the worker is past that message.
    const marker = await signUp('marker@mailinator.com');
    await decisionFor(marker.id, 'disposable_email');
    expect(await checksOf(buyer.id, 'message')).toEqual([]);
  });

  it('suspends an account that sends the same text to more recipients than allowed, audited, with user.suspended', async () => {
    const spammer = await signUp();
    const recipients = [await signUp(), await signUp(), await signUp(), await signUp()];
    for (const recipient of recipients.slice(0, 3)) expect((await send(spammer, recipient, 'Win a FREE phone, reply now!')).status).toBe(201);
    expect(decided.some((d) => d.userId === spammer.id && d.rules.includes('same_text'))).toBe(false);
    expect((await send(spammer, recipients[3]!, 'win a free phone — reply NOW')).status).toBe(201);
    expect(await decisionFor(spammer.id, 'same_text')).toMatchObject({ actions: ['suspend'] });
    const [[user]] = await db.pool.query<RowDataPacket[]>('SELECT status FROM users WHERE id = ?', [spammer.id]);
    expect(user!.status).toBe('suspended');
    expect(await auditOf(spammer.id)).toMatchObject([{ admin_username: 'checks:spam-checks', action: 'user.suspend', reason: expect.stringMatching(/^same_text: the same text sent to 4 recipients/) }]);
    const [events] = await db.pool.query<RowDataPacket[]>("SELECT id FROM outbox WHERE type = 'user.suspended' AND aggregate_id = ?", [String(spammer.id)]);
    expect(events).toHaveLength(1);
    expect((await send(spammer, recipients[0]!, 'hello')).status).toBe(403);
  });

  it("shows staff an account's findings with what was done, newest first", async () => {
    const login = async (username: string) => (await staff('POST', '/admin/session', { body: { username, password: 'correct horse battery staple' } })).body.token as string;
    const [[spammer]] = await db.pool.query<RowDataPacket[]>("SELECT user_id FROM user_checks WHERE rule = 'same_text' LIMIT 1");
    const findings = await staff('GET', `/admin/user-checks?user_id=${spammer!.user_id}`, { token: await login('sue') });
    expect(findings.status).toBe(200);
    expect(findings.body.data[0]).toMatchObject({ user_id: Number(spammer!.user_id), user_status: 'suspended', subject: 'message', rule: 'same_text', action: 'suspend', values: { recipients: 4, max: 3 } });
    const byRule = await staff('GET', '/admin/user-checks?rule=disposable_email', { token: await login('sue') });
    expect(byRule.body.data.map((row: { user_email: string }) => row.user_email)).toEqual(['marker@mailinator.com', 'throwaway@mailinator.com']);
    expect((await staff('GET', '/admin/user-checks?rule=nonsense', { token: await login('sue') })).body).toMatchObject({ error: 'invalid_request', field: 'rule' });
    expect((await staff('GET', '/admin/user-checks', { token: await login('ann') })).status).toBe(403);
  });

  it('lets a moderator dismiss a finding with a reason: audited, a limit it set lifted, a suspension left to reinstating', async () => {
    const login = async (username: string) => (await staff('POST', '/admin/session', { body: { username, password: 'correct horse battery staple' } })).body.token as string;
    const [sender, target] = [await signUp(), await signUp()];
    expect((await send(sender, target, 'My bike photos: https://photos.example/bike')).status).toBe(201);
    await decisionFor(sender.id, 'links_from_new_account');
    const [[finding]] = await db.pool.query<RowDataPacket[]>("SELECT id FROM user_checks WHERE user_id = ? AND rule = 'links_from_new_account'", [sender.id]);
    const id = Number(finding!.id);

    // Support staff read findings; only moderators answer them, and with a reason.
    expect((await staff('POST', `/admin/user-checks/${id}/dismiss`, { token: await login('sue'), body: { reason: 'a seller sharing photos' } })).status).toBe(403);
    const mo = await login('mo');
    expect((await staff('POST', `/admin/user-checks/${id}/dismiss`, { token: mo, body: {} })).body).toMatchObject({ error: 'invalid_request', field: 'reason' });
    const dismissed = await staff('POST', `/admin/user-checks/${id}/dismiss`, { token: mo, body: { reason: 'a seller sharing photos' } });
    expect(dismissed).toMatchObject({ status: 200, body: { id, user_id: sender.id, status: 'dismissed', rate_limit_lifted: true, user_status: 'active' } });
    expect((await staff('POST', `/admin/user-checks/${id}/dismiss`, { token: mo, body: { reason: 'again' } })).status).toBe(409);
    expect((await staff('POST', '/admin/user-checks/999999/dismiss', { token: mo, body: { reason: 'none' } })).status).toBe(404);
    // The limit is gone: the sender writes freely again.
    for (let i = 0; i < 3; i++) expect((await send(sender, target, `Photo ${i} is up.`)).status).toBe(201);
    expect(await auditOf(sender.id)).toMatchObject([
      { admin_username: 'checks:spam-checks', action: 'user.rate_limit' },
      { admin_username: 'mo', action: 'user.dismiss_check', reason: 'a seller sharing photos' },
    ]);
    const listed = await staff('GET', `/admin/user-checks?user_id=${sender.id}`, { token: mo });
    expect(listed.body.data.find((row: { id: number }) => row.id === id)).toMatchObject({ status: 'dismissed', dismissed_by: 'mo', dismiss_reason: 'a seller sharing photos' });

    const [[suspension]] = await db.pool.query<RowDataPacket[]>("SELECT id, user_id FROM user_checks WHERE rule = 'same_text' LIMIT 1");
    const kept = await staff('POST', `/admin/user-checks/${suspension!.id}/dismiss`, { token: mo, body: { reason: 'a group chat' } });
    expect(kept.body).toMatchObject({ status: 'dismissed', rate_limit_lifted: false, user_status: 'suspended' });
  });
});
