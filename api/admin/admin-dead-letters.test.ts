// GET /admin/dlq/:group and POST /admin/dlq/:group/replay on a real embedded bus and MariaDB over
// real HTTP: staff sessions and the local commands' secret (loopback only), and the audit trail.
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PoisonMessage } from '../../core/errors.js';
import { silentLogger } from '../../core/log.js';
import { localSecret } from '../../core/served-file.js';
import { addAdminUser } from '../../marketplace/auth/admin-accounts.js';
import type { RowDataPacket } from '../../marketplace/mysql/connection.js';
import type { Bus } from '../../pipelines/bus/port.js';
import { toDeadLetter } from '../../pipelines/consumers/dead-letter.js';
import { openTestBus, readTopic } from '../../test/fixtures/cdc.js';
import { createTestDatabase, type TestDatabase } from '../../test/fixtures/database.js';
import { httpClient } from '../../test/fixtures/http-client.js';
import { tempDir } from '../../test/fixtures/temp-dir.js';
import { LOCAL_USER_HEADER } from './local-commands.js';
import { buildAdminServer } from './server.js';

const PASSWORD = 'correct horse battery staple';
const GROUP = 'things-indexer';
const TOPIC = 'sl.test.things';
const secret = localSecret();
const dir = tempDir();
let db: TestDatabase;
let bus: Bus;
let app: FastifyInstance;
let call: ReturnType<typeof httpClient>;
let token: string;

beforeAll(async () => {
  db = await createTestDatabase('dlqroutes');
  await addAdminUser(db.pool, 'ops', PASSWORD);
  bus = await openTestBus(join(dir.path, 'bus'));
  app = await buildAdminServer({ pool: db.pool, log: silentLogger(), pipeline: { bus, topicPrefix: 'sl', groups: [GROUP] }, localCommandSecret: secret });
  call = httpClient(await app.listen({ host: '127.0.0.1', port: 0 }));
  token = (await call('POST', '/admin/session', { body: { username: 'ops', password: PASSWORD } })).body.token;
  const letter = toDeadLetter({ topic: TOPIC, partition: 0, offset: 41, key: '{"id":7}', value: Buffer.from('{"op":"c"}'), headers: { origin: 'cdc' }, timestampMs: 0 },
    GROUP, new PoisonMessage('price: not a number'), 1);
  await bus.publish(`sl.dlq.${GROUP}`, [letter]);
});
afterAll(async () => {
  await app?.close();
  await bus?.close();
  await db?.close();
  dir.remove();
});

const audit = async (action: string) => (await db.pool.query<RowDataPacket[]>('SELECT admin_username, target_type, target_id, reason, details FROM admin_audit WHERE action = ? ORDER BY id', [action]))[0];

describe('the dead-letter routes', () => {
  it('need a staff session or the local commands\' secret', async () => {
    expect((await call('GET', `/admin/dlq/${GROUP}`)).status).toBe(401);
    expect((await call('POST', `/admin/dlq/${GROUP}/replay`, { body: {} })).status).toBe(401);
    expect((await call('GET', `/admin/dlq/${GROUP}`, { token: localSecret() })).status).toBe(401);
  });

  it('take the local secret only from loopback and only on the routes local commands use', async () => {
    const fromElsewhere = await app.inject({ method: 'GET', url: `/admin/dlq/${GROUP}`, remoteAddress: '192.0.2.7', headers: { authorization: `Bearer ${secret}` } });
    expect(fromElsewhere.statusCode).toBe(401);
    expect((await call('GET', '/admin/audit', { token: secret })).status).toBe(401);
    expect((await call('GET', '/admin/pipeline', { token: secret })).status).toBe(401);
  });

  it('list a group\'s dead letters with where they came from and why, audited', async () => {
    const listed = await call('GET', `/admin/dlq/${GROUP}`, { token });
    expect(listed.status).toBe(200);
    expect(listed.body).toMatchObject({ group: GROUP, topic: `sl.dlq.${GROUP}`, count: 1 });
    expect(listed.body.data).toEqual([expect.objectContaining({
      topic: TOPIC, partition: 0, offset: 41, key: '{"id":7}', error_code: 'POISON_MESSAGE', error: 'price: not a number', retriable: false, attempts: 1, value: '{"op":"c"}',
    })]);
    const local = await call('GET', `/admin/dlq/${GROUP}?max=1`, { token: secret, headers: { [LOCAL_USER_HEADER]: 'ana' } });
    expect(local.body.count).toBe(1);
    expect(await audit('consumer_group.list_dead_letters')).toEqual([
      expect.objectContaining({ admin_username: 'ops', target_type: 'consumer_group', target_id: null, details: { group: GROUP, count: 1 } }),
      expect.objectContaining({ admin_username: 'local:ana' }),
    ]);
  });

  it('replay a group\'s dead letters to their topic once, audited with the reason', async () => {
    const replayed = await call('POST', `/admin/dlq/${GROUP}/replay`, { token, body: { reason: 'parser fixed' } });
    expect(replayed).toMatchObject({ status: 200, body: { group: GROUP, replayed: 1 } });
    const again = await call('POST', `/admin/dlq/${GROUP}/replay`, { token: secret, body: {} });
    expect(again).toMatchObject({ status: 200, body: { replayed: 0 } });
    const [message] = await readTopic(bus, TOPIC);
    expect(message).toMatchObject({ key: '{"id":7}', headers: { origin: 'cdc' } });
    expect(await audit('consumer_group.replay_dead_letters')).toEqual([
      expect.objectContaining({ admin_username: 'ops', reason: 'parser fixed', details: { group: GROUP, count: 1 } }),
      expect.objectContaining({ admin_username: 'local:unknown', reason: null, details: { group: GROUP, count: 0 } }),
    ]);
  });

  it('refuse a group name no topic can carry', async () => {
    const bad = await call('GET', '/admin/dlq/no%20spaces', { token });
    expect(bad).toMatchObject({ status: 400, body: { field: 'group' } });
  });
});
