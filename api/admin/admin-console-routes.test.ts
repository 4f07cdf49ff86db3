// Admin routes the staff console added, over real HTTP against a real MariaDB, a real scheduler
// and backup files on disk: assigning a complaint, running a job now, listing and checking backups.
import { createHash } from 'node:crypto';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/log.js';
import { addAdminUser } from '../../marketplace/auth/admin-accounts.js';
import { signUp } from '../../marketplace/auth/user-accounts.js';
import { fileComplaint } from '../../marketplace/domain/complaints.js';
import type { RowDataPacket } from '../../marketplace/mysql/connection.js';
import { createEndpoint } from '../../marketplace/webhooks/endpoints.js';
import { Scheduler } from '../../pipelines/scheduler/index.js';
import { createTestDatabase, type TestDatabase } from '../../test/fixtures/database.js';
import { httpClient } from '../../test/fixtures/http-client.js';
import { tempDir } from '../../test/fixtures/temp-dir.js';
import { buildAdminServer } from './server.js';

const PASSWORD = 'correct horse battery staple';
const dir = tempDir();
let db: TestDatabase;
let admin: FastifyInstance;
let call: ReturnType<typeof httpClient>;
const tokens: Record<string, string> = {};
let jobRuns = 0;

beforeAll(async () => {
  db = await createTestDatabase();
  const scheduler = new Scheduler({
    pool: db.pool, log: silentLogger(),
    jobs: [{ name: 'demo.count', description: 'Counts its runs.', cron: '0 3 * * *', timezone: 'UTC', timeLimitMs: 10_000, missed: 'skip', run: async () => `run ${++jobRuns}` }],
  });
  admin = await buildAdminServer({ pool: db.pool, log: silentLogger(), scheduler, backupDir: join(dir.path, 'backups') });
  call = httpClient(await admin.listen({ host: '127.0.0.1', port: 0 }));
  for (const [username, role] of [['mo', 'moderator'], ['mia', 'moderator'], ['op', 'operator'], ['sup', 'support']] as const) {
    await addAdminUser(db.pool, username, PASSWORD, { role });
    tokens[username] = (await call('POST', '/admin/session', { body: { username, password: PASSWORD } })).body.token;
  }
});
afterAll(async () => {
  await admin?.close();
  await db?.close();
  dir.remove();
});

describe('complaint assignment', () => {
  it('assigns a complaint to the caller or a named colleague, puts it in review, and lists who has it', async () => {
    const { user: reporter } = await signUp(db.pool, { email: 'r@example.com', password: 'password-long-enough', name: 'R', country: 'DE', city: 'Köln' });
    const { user: offender } = await signUp(db.pool, { email: 'o@example.com', password: 'password-long-enough', name: 'O', country: 'DE', city: 'Köln' });
    const id = await fileComplaint(db.pool, { reporterId: reporter.id, reportedUserId: offender.id, reason: 'offensive' });
    const mine = await call('POST', `/admin/complaints/${id}/assign`, { token: tokens.mo, body: {} });
    expect(mine.status).toBe(200);
    expect(mine.body).toMatchObject({ id, status: 'reviewing', assigned_to: 'mo' });
    expect((await call('POST', `/admin/complaints/${id}/assign`, { token: tokens.mo, body: { assignee: 'nobody' } })).body).toMatchObject({ error: 'invalid_request', field: 'assignee' });
    const handed = await call('POST', `/admin/complaints/${id}/assign`, { token: tokens.mo, body: { assignee: 'mia', reason: 'speaks the language' } });
    expect(handed.body).toMatchObject({ status: 'reviewing', assigned_to: 'mia' });
    const list = await call('GET', '/admin/complaints?status=reviewing', { token: tokens.mia });
    expect(list.body.data).toEqual([expect.objectContaining({ id, assigned_to: 'mia' })]);
    expect((await call('POST', `/admin/complaints/${id}/assign`, { token: tokens.sup, body: {} })).status).toBe(403);
    await call('POST', `/admin/complaints/${id}/resolve`, { token: tokens.mia, body: { reason: 'warned' } });
    expect((await call('POST', `/admin/complaints/${id}/assign`, { token: tokens.mo, body: {} })).status).toBe(409);
  });
});

describe('running a job now', () => {
  it('runs it, answers its outcome, and audits who ran it and why', async () => {
    const refused = await call('POST', '/admin/jobs/demo.count/run', { token: tokens.sup, body: { reason: 'curious' } });
    expect(refused.status).toBe(403);
    expect(jobRuns).toBe(0);
    const ran = await call('POST', '/admin/jobs/demo.count/run', { token: tokens.op, body: { reason: 'check after the fix' } });
    expect(ran.status).toBe(200);
    expect(ran.body).toMatchObject({ job: 'demo.count', status: 'succeeded', summary: 'run 1' });
    const [rows] = await db.pool.query<RowDataPacket[]>("SELECT admin_username, reason, details FROM admin_audit WHERE action = 'job.run'");
    expect(rows).toEqual([expect.objectContaining({ admin_username: 'op', reason: 'check after the fix' })]);
    expect((await call('POST', '/admin/jobs/no.such/run', { token: tokens.op, body: { reason: 'x' } })).status).toBe(404);
    expect((await call('POST', '/admin/jobs/demo.count/run', { token: tokens.op, body: {} })).body.field).toBe('reason');
  });
});

describe('backups', () => {
  function writeBackup(id: string, dump: string) {
    const folder = join(dir.path, 'backups', id);
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 'dump.sql.gz'), dump);
    const manifest = {
      id, created_at: '2026-12-01T02:30:00.000Z', finished_at: '2026-12-01T02:31:00.000Z', database: 'steveslist', server_version: '11.4', file: 'dump.sql.gz',
      bytes: Buffer.byteLength(dump), sha256: createHash('sha256').update(dump).digest('hex'), binlog: { file: 'binlog.000001', pos: 4 },
      tables: { users: { rows: 3, digest: 'x' }, listings: { rows: 5, digest: 'y' } },
    };
    writeFileSync(join(folder, 'manifest.json'), JSON.stringify(manifest));
    return folder;
  }

  it('lists backups newest first with how to restore each, and checks a backup’s files', async () => {
    writeBackup('20261130T023000Z', 'older dump');
    const folder = writeBackup('20261201T023000Z', 'newer dump');
    expect((await call('GET', '/admin/backups', { token: tokens.sup })).status).toBe(403);
    const list = await call('GET', '/admin/backups', { token: tokens.op });
    expect(list.body.data.map((backup: { id: string }) => backup.id)).toEqual(['20261201T023000Z', '20261130T023000Z']);
    expect(list.body.data[0]).toMatchObject({ tables: 2, rows: 8, verified_at: null, restore: 'npx steveslist backup restore 20261201T023000Z' });
    expect((await call('POST', '/admin/backups/20261201T023000Z/verify', { token: tokens.op })).body).toMatchObject({ intact: true });
    appendFileSync(join(folder, 'dump.sql.gz'), 'tampered');
    const damaged = await call('POST', '/admin/backups/20261201T023000Z/verify', { token: tokens.op });
    expect(damaged.status).toBe(409);
    expect(damaged.body.message).toContain('is damaged');
    expect((await call('POST', '/admin/backups/..%2Fetc/verify', { token: tokens.op })).status).toBe(400);
  });
});

describe('a user\'s webhooks', () => {
  it('shows support the endpoints and delivery log, and replays a dead delivery with the reason audited', async () => {
    const { user } = await signUp(db.pool, { email: 'hooks@example.com', password: 'password-long-enough', name: 'Hook Owner', country: 'DE', city: 'Köln' });
    const { endpoint } = await createEndpoint(db.pool, user.id, { url: 'https://hooks.example.com/in', eventTypes: ['order.placed'] });
    // A delivery the dispatcher gave up on, as it leaves one.
    const [inserted] = await db.pool.query<RowDataPacket[] & { insertId: number }>(
      "INSERT INTO webhook_deliveries (endpoint_id, event_id, event_type, payload, status, attempts, last_error) VALUES (?, UUID(), 'order.placed', '{}', 'dead', 8, 'connect ECONNREFUSED')",
      [endpoint.id],
    );
    const deliveryId = inserted.insertId;
    const endpoints = await call('GET', `/admin/users/${user.id}/webhooks`, { token: tokens.sup });
    expect(endpoints.body.data).toEqual([expect.objectContaining({ id: endpoint.id, url: 'https://hooks.example.com/in' })]);
    expect(JSON.stringify(endpoints.body)).not.toContain('whsec');
    const log = await call('GET', `/admin/users/${user.id}/webhooks/${endpoint.id}/deliveries?status=dead`, { token: tokens.sup });
    expect(log.body.data).toEqual([expect.objectContaining({ id: deliveryId, status: 'dead', attempts: 8, last_error: 'connect ECONNREFUSED' })]);
    expect((await call('GET', `/admin/users/${user.id}/webhook-deliveries/${deliveryId}`, { token: tokens.sup })).body.attempt_log).toEqual([]);

    expect((await call('POST', `/admin/users/${user.id}/webhook-deliveries/${deliveryId}/replay`, { token: tokens.mo, body: { reason: 'x' } })).status).toBe(403);
    // Another user's id does not reach this user's delivery.
    expect((await call('POST', `/admin/users/${user.id + 1000}/webhook-deliveries/${deliveryId}/replay`, { token: tokens.sup, body: { reason: 'x' } })).status).toBe(404);
    const replayed = await call('POST', `/admin/users/${user.id}/webhook-deliveries/${deliveryId}/replay`, { token: tokens.sup, body: { reason: 'their server is back' } });
    expect(replayed.status).toBe(200);
    expect(replayed.body).toMatchObject({ id: deliveryId, status: 'pending' });
    const [audit] = await db.pool.query<RowDataPacket[]>("SELECT admin_username, target_type, target_id, reason FROM admin_audit WHERE action = 'user.webhook_replay'");
    expect(audit).toEqual([{ admin_username: 'sup', target_type: 'user', target_id: String(user.id), reason: 'their server is back' }]);
  });
});

describe('a user\'s messages', () => {
  it('shows support and moderators the messages a user sent and received, newest first, and audits the reading', async () => {
    const { user: ann } = await signUp(db.pool, { email: 'ann@example.com', password: 'password-long-enough', name: 'Ann', country: 'DE', city: 'Köln' });
    const { user: bob } = await signUp(db.pool, { email: 'bob@example.com', password: 'password-long-enough', name: 'Bob', country: 'DE', city: 'Köln' });
    const { user: cy } = await signUp(db.pool, { email: 'cy@example.com', password: 'password-long-enough', name: 'Cy', country: 'DE', city: 'Köln' });
    for (const [from, to, body] of [[ann.id, bob.id, 'Is it still there?'], [bob.id, ann.id, 'Yes, pay me by wire'], [bob.id, cy.id, 'Not about Ann']] as const) {
      await db.pool.query('INSERT INTO messages (sender_id, recipient_id, body) VALUES (?, ?, ?)', [from, to, body]);
    }
    const read = await call('GET', `/admin/users/${ann.id}/messages`, { token: tokens.sup });
    expect(read.body.data.map((m: { direction: string; body: string; sender_name: string }) => [m.direction, m.sender_name, m.body]))
      .toEqual([['received', 'Bob', 'Yes, pay me by wire'], ['sent', 'Ann', 'Is it still there?']]);
    expect((await call('GET', `/admin/users/${ann.id}/messages?limit=1`, { token: tokens.mo })).body.next_cursor).not.toBeNull();
    const [audit] = await db.pool.query<RowDataPacket[]>("SELECT admin_username FROM admin_audit WHERE action = 'user.view_messages' AND target_id = ?", [ann.id]);
    expect(audit.map((row) => row.admin_username)).toEqual(['sup', 'mo']);
    expect((await call('GET', `/admin/users/${ann.id}/messages`, { token: tokens.op })).status).toBe(403);
  });
});
