// The email queue and the local mailbox on the admin server, over real HTTP, with the real sender
// talking SMTP to a real local mail server: support finds an email, sees why it died, sends it
// again (audited), and reads what arrived in the mailbox.
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/log.js';
import { addAdminUser } from '../../marketplace/auth/admin-accounts.js';
import { createUser } from '../../marketplace/domain/users.js';
import { uuidV7 } from '../../marketplace/domain/uuid-v7.js';
import type { RowDataPacket } from '../../marketplace/mysql/connection.js';
import { emailTimeline } from '../../pipelines/sinks/email/email-log.js';
import { EmailSender } from '../../pipelines/sinks/email/email-worker.js';
import { startLocalMailbox, type LocalMailbox } from '../../pipelines/sinks/email/local-mailbox.js';
import { createTestDatabase, type TestDatabase } from '../../test/fixtures/database.js';
import { until } from '../../test/fixtures/eventually.js';
import { httpClient } from '../../test/fixtures/http-client.js';
import { tempDir } from '../../test/fixtures/temp-dir.js';
import { buildAdminServer } from './server.js';

const dir = tempDir();
const mailboxDir = join(dir.path, 'mailbox');
let db: TestDatabase;
let mailbox: LocalMailbox;
let sender: EmailSender;
let admin: FastifyInstance;
let call: ReturnType<typeof httpClient>;
let token: string;
let refuse = false;

beforeAll(async () => {
  db = await createTestDatabase('adminmail');
  mailbox = await startLocalMailbox(mailboxDir, { reject: () => (refuse ? 'mailbox full, try later' : undefined) });
  sender = new EmailSender({ pool: db.pool, log: silentLogger(), smtpUrl: mailbox.url, schedule: [0, 30, 30], pollMs: 20 });
  sender.start();
  await addAdminUser(db.pool, 'sam', 'correct horse battery staple');
  admin = await buildAdminServer({ pool: db.pool, log: silentLogger(), mailboxDir });
  call = httpClient(await admin.listen({ host: '127.0.0.1', port: 0 }));
  token = (await call('POST', '/admin/session', { body: { username: 'sam', password: 'correct horse battery staple' } })).body.token;
});
afterAll(async () => {
  await sender?.stop();
  await admin?.close();
  await mailbox?.close();
  await db?.close();
  dir.remove();
});

let people = 0;
/** Queues a welcome email the way the email enqueuer does. */
async function queueWelcome(): Promise<{ id: number; to: string }> {
  const to = `reader${++people}@example.com`;
  const user = await createUser(db.pool, { email: to, name: `Reader ${people}`, passwordHash: 'x' });
  const [result] = await db.pool.query<{ insertId: number } & RowDataPacket[]>(
    "INSERT INTO email_messages (user_id, event_id, template, to_address, subject, data, next_attempt_at) VALUES (?, ?, 'welcome', ?, '', '{}', UTC_TIMESTAMP(6))",
    [user.id, uuidV7(), to],
  );
  return { id: result.insertId, to };
}

const emailOf = (id: number, done: (body: any) => boolean) => until(async () => (await call('GET', `/admin/emails/${id}`, { token })).body, done);

describe('emails on the admin server', () => {
  it('needs an admin session', async () => {
    for (const path of ['/admin/emails', '/admin/emails/dead', '/admin/emails/1', '/admin/mailbox']) expect((await call('GET', path)).status).toBe(401);
  });

  it('lists emails by status and recipient, and shows one with the SMTP answer and its rendered text', async () => {
    const first = await queueWelcome();
    const second = await queueWelcome();
    const sent = await emailOf(second.id, (body) => body.status === 'sent');
    expect(sent).toMatchObject({ id: second.id, template: 'welcome', to_address: second.to, status: 'sent', attempts: 1, smtp_response: expect.stringMatching(/^250 /) });
    expect(sent.event_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(sent.rendered).toEqual({ subject: 'Welcome to Steveslist', text: expect.stringContaining(`Hi Reader ${people}`), html: false, attachments: [] });
    expect(sent.timeline).toEqual([
      { at: sent.created_at, status: 'queued', note: 'queued' },
      { at: sent.sent_at, status: 'sent', attempt: 1, smtp_response: sent.smtp_response, note: 'accepted by the SMTP server on attempt 1' },
    ]);
    expect(sent).not.toHaveProperty('data');
    await emailOf(first.id, (body) => body.status === 'sent');

    const byRecipient = await call('GET', `/admin/emails?to=${encodeURIComponent(first.to)}`, { token });
    expect(byRecipient.body.data.map((e: { id: number }) => e.id)).toEqual([first.id]);
    const page = await call('GET', '/admin/emails?status=sent&limit=1', { token });
    expect(page.body.data.map((e: { id: number }) => e.id)).toEqual([second.id]);
    expect(page.body.next_cursor).toEqual(expect.any(String));
    expect(await call('GET', '/admin/emails?status=lost', { token })).toMatchObject({ status: 400, body: { field: 'status' } });
    expect((await call('GET', '/admin/emails/999999', { token })).status).toBe(404);
  });

  it('shows dead emails with why they died, and sends one again with the admin\'s reason in the audit trail', async () => {
    refuse = true;
    const doomed = await queueWelcome();
    const dead = await emailOf(doomed.id, (body) => body.status === 'dead');
    expect(dead).toMatchObject({ status: 'dead', attempts: 3, last_error: expect.stringContaining('mailbox full, try later') });
    expect(dead.timeline.map((step: { status: string }) => step.status)).toEqual(['queued', 'dead']);
    expect(dead.timeline[1]).toMatchObject({ attempt: 3, error: dead.last_error, note: 'attempt 3 failed, the last one; no more attempts' });
    const alert = await call('GET', '/admin/emails/dead', { token });
    expect(alert.body).toMatchObject({ count: 1, data: [{ id: doomed.id, status: 'dead' }] });

    refuse = false;
    expect(await call('POST', `/admin/emails/${doomed.id}/retry`, { token, body: {} })).toMatchObject({ status: 400, body: { field: 'reason' } });
    const retried = await call('POST', `/admin/emails/${doomed.id}/retry`, { token, body: { reason: 'the relay is fixed' } });
    expect(retried).toMatchObject({ status: 200, body: { id: doomed.id, status: 'queued', attempts: 0 } });
    const resent = await emailOf(doomed.id, (body) => body.status === 'sent');
    expect(resent).toMatchObject({ status: 'sent', attempts: 1 });
    expect(resent.timeline).toMatchObject([
      { status: 'queued', note: 'queued' },
      { status: 'queued', admin: 'sam', reason: 'the relay is fixed', note: 'dead after 3 attempts; queued again by sam' },
      { status: 'sent', attempt: 1, smtp_response: expect.stringMatching(/^250 /) },
    ]);
    expect((await call('GET', '/admin/emails/dead', { token })).body).toMatchObject({ count: 0, data: [] });
    const [audit] = await db.pool.query<RowDataPacket[]>("SELECT admin_username, action, reason FROM admin_audit WHERE target_type = 'email' AND target_id = ?", [doomed.id]);
    expect(audit).toEqual([expect.objectContaining({ admin_username: 'sam', action: 'email.retry', reason: 'the relay is fixed' })]);
    // Only a dead email can be sent again.
    expect(await call('POST', `/admin/emails/${doomed.id}/retry`, { token, body: { reason: 'again' } })).toMatchObject({ status: 409, body: { error: 'conflict' } });
  });

  it('lists the local mailbox newest first and shows a message, and nothing outside it', async () => {
    const { to } = await queueWelcome();
    await until(() => mailbox.messages().filter((m) => m.includes(to)), (m) => m.length === 1);
    const listed = await call('GET', '/admin/mailbox?limit=2', { token });
    expect(listed.body.data).toHaveLength(2);
    expect(listed.body.data[0]).toMatchObject({ to, subject: 'Welcome to Steveslist', from: expect.stringContaining('no-reply@') });
    const file = listed.body.data[0].file as string;
    const message = await call('GET', `/admin/mailbox/${file}`, { token });
    expect(message.status).toBe(200);
    expect(message.headers.get('content-type')).toMatch(/^message\/rfc822/);
    expect(message.body).toMatch(new RegExp(`^To: ${to}$`, 'm'));
    for (const path of ['..%2F..%2Fetc%2Fpasswd', 'nothing.eml', '%2e%2e', `..%2Fmailbox%2F${file}`, `${file}%00`]) {
      expect((await call('GET', `/admin/mailbox/${path}`, { token })).status).toBe(404);
    }
  });

  it('names a report email\'s attachments, and the mailbox copy carries them', async () => {
    const data = { subject: 'Daily usage', text: 'New listings: 3\n', html: '<p>New listings: 3</p>', attachments: [{ filename: 'usage.csv', contentType: 'text/csv', content: 'day,listings\n2026-11-23,3\n' }] };
    const [result] = await db.pool.query<{ insertId: number } & RowDataPacket[]>(
      "INSERT INTO email_messages (template, to_address, subject, data, next_attempt_at) VALUES ('report', 'staff@example.com', '', ?, UTC_TIMESTAMP(6))", [JSON.stringify(data)],
    );
    const report = await emailOf(result.insertId, (body) => body.status === 'sent');
    expect(report).toMatchObject({ user_name: null, subject: 'Daily usage', rendered: { subject: 'Daily usage', text: 'New listings: 3\n', html: true, attachments: ['usage.csv'] } });
    const listed = await until(async () => (await call('GET', '/admin/mailbox', { token })).body.data, (rows: { to: string; file: string }[]) => rows[0]?.to === 'staff@example.com');
    const message = await call('GET', `/admin/mailbox/${listed[0]!.file}`, { token });
    expect(message.body).toMatch(/filename=usage\.csv/);
  });

  it('says there is no local mailbox when mail goes out through a relay', async () => {
    const relayed = await buildAdminServer({ pool: db.pool, log: silentLogger() });
    try {
      const other = httpClient(await relayed.listen({ host: '127.0.0.1', port: 0 }));
      const session = (await other('POST', '/admin/session', { body: { username: 'sam', password: 'correct horse battery staple' } })).body.token;
      expect((await other('GET', '/admin/mailbox')).status).toBe(401);
      for (const path of ['/admin/mailbox', '/admin/mailbox/1700000000000-000001.eml']) {
        expect(await other('GET', path, { token: session })).toMatchObject({ status: 404, body: { message: expect.stringContaining('SMTP_URL') } });
      }
    } finally {
      await relayed.close();
    }
  });
});

describe('an email\'s timeline', () => {
  const email = {
    id: 1, user_id: 2, event_id: null, template: 'welcome', to_address: 'a@example.com', subject: 'Welcome to Steveslist', last_error: null,
    next_attempt_at: null, created_at: '2026-11-24T10:00:00.000000Z', updated_at: '2026-11-24T10:05:00.000000Z', sent_at: null,
  };

  it('shows a failing email\'s last error and when it is tried again', () => {
    const timeline = emailTimeline({ ...email, status: 'failed_retrying', attempts: 2, last_error: '451 try later', next_attempt_at: '2026-11-24T10:35:00.000000Z' }, '451 try later', []);
    expect(timeline).toEqual([
      { at: email.created_at, status: 'queued', note: 'queued' },
      {
        at: email.updated_at, status: 'failed_retrying', attempt: 2, error: '451 try later', smtp_response: '451 try later', next_attempt_at: '2026-11-24T10:35:00.000000Z',
        note: 'attempt 2 failed; trying again at 2026-11-24T10:35:00.000000Z',
      },
    ]);
  });

  it('shows the attempt in progress, after an admin queued a dead email again', () => {
    const retry = { admin_username: 'sam', reason: 'relay fixed', details: '{"attempts_before": 8}', created_at: '2026-11-24T10:04:00.000000Z' };
    expect(emailTimeline({ ...email, status: 'sending', attempts: 0 }, null, [retry])).toEqual([
      { at: email.created_at, status: 'queued', note: 'queued' },
      { at: retry.created_at, status: 'queued', admin: 'sam', reason: 'relay fixed', note: 'dead after 8 attempts; queued again by sam' },
      { at: email.updated_at, status: 'sending', attempt: 1, note: 'attempt 1 in progress' },
    ]);
  });
});
