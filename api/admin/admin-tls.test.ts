// The admin service with ADMIN_TLS_*: certificates made for the test with openssl (a CA, the
// server, a staff client, and a client of another CA); only the staff client gets a connection.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config/index.js';
import { ConfigError } from '../../core/errors.js';
import { silentLogger } from '../../core/log.js';
import { addAdminUser } from '../../marketplace/auth/admin-accounts.js';
import { createTestDatabase, type TestDatabase } from '../../test/fixtures/database.js';
import { until } from '../../test/fixtures/eventually.js';
import { tempDir } from '../../test/fixtures/temp-dir.js';
import { buildAdminServer } from './server.js';
import { loadAdminTls } from './tls.js';

const dir = tempDir();
const file = (name: string) => join(dir.path, name);
const PASSWORD = 'correct horse battery staple';
let db: TestDatabase;
let app: FastifyInstance;
let origin: string;
/** Handshakes the server refused, as it saw them. */
const refused: Error[] = [];

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir.path, stdio: 'pipe' });
}

function makeCa(name: string): void {
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-keyout', `${name}.key`, '-out', `${name}.crt`, '-subj', `/CN=${name}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
}

function makeCert(name: string, ca: string, serial: string, extensions: string): void {
  writeFileSync(file(`${name}.ext`), extensions);
  openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
  openssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-set_serial', serial, '-days', '1', '-out', `${name}.crt`, '-extfile', `${name}.ext`);
}

interface Reply {
  status: number;
  body: string;
}

/** One HTTPS request, trusting the test CA, with the given client certificate (or none). */
function call(method: string, path: string, client: string | undefined, options: { body?: unknown; token?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    const req = request(`${origin}${path}`, {
      method,
      agent: false,
      ca: readFileSync(file('ca.crt')),
      ...(client ? { cert: readFileSync(file(`${client}.crt`)), key: readFileSync(file(`${client}.key`)) } : {}),
      headers: {
        ...(body ? { 'content-type': 'application/json' } : {}),
        ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => { text += chunk; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

beforeAll(async () => {
  makeCa('ca');
  makeCa('other-ca');
  makeCert('server', 'ca', '01', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  makeCert('staff', 'ca', '02', 'extendedKeyUsage=clientAuth\n');
  makeCert('stranger', 'other-ca', '03', 'extendedKeyUsage=clientAuth\n');

  db = await createTestDatabase();
  await addAdminUser(db.pool, 'ana', PASSWORD);
  const config = loadConfig({ ADMIN_TLS_CERT: file('server.crt'), ADMIN_TLS_KEY: file('server.key'), ADMIN_TLS_CA: file('ca.crt') }, { cwd: dir.path, dotEnv: false });
  app = await buildAdminServer({ pool: db.pool, log: silentLogger(), tls: loadAdminTls(config.admin.tls!) });
  origin = await app.listen({ host: '127.0.0.1', port: 0 });
  app.server.on('tlsClientError', (error: Error) => refused.push(error));
});
afterAll(async () => {
  await app?.close();
  await db?.close();
  dir.remove();
});

describe('admin service with client certificates', () => {
  it('serves HTTPS to a client whose certificate the CA signed (the session is still needed)', async () => {
    expect(origin).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const login = await call('POST', '/admin/session', 'staff', { body: { username: 'ana', password: PASSWORD } });
    expect(login.status).toBe(200);
    const { token } = JSON.parse(login.body) as { token: string };
    expect((await call('GET', '/admin/audit', 'staff', { token })).status).toBe(200);
    expect((await call('GET', '/admin/audit', 'staff')).status).toBe(401);
  });

  it('refuses a client without a certificate at the TLS level: no HTTP answer at all', async () => {
    refused.length = 0;
    const attempt = call('POST', '/admin/session', undefined, { body: { username: 'ana', password: PASSWORD } });
    await expect(attempt).rejects.toMatchObject({ code: expect.stringMatching(/^ERR_SSL_|^ECONNRESET$/) });
    await until(() => refused.length, (n) => n > 0, 5000);
    expect(refused.map((e) => e.message).join('\n')).toMatch(/peer did not return a certificate|certificate required/i);
  });

  it('refuses a client whose certificate another CA signed', async () => {
    refused.length = 0;
    await expect(call('GET', '/admin/audit', 'stranger')).rejects.toMatchObject({ code: expect.stringMatching(/^ERR_SSL_|^ECONNRESET$/) });
    // The server drops the handshake (an HTTP request would have been answered 401).
    expect(await until(() => refused.length, (n) => n > 0, 5000)).toBeGreaterThan(0);
  });
});

describe('ADMIN_TLS_* settings', () => {
  function problems(env: NodeJS.ProcessEnv): string[] {
    try {
      loadConfig(env, { cwd: dir.path, dotEnv: false });
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return [...(error as ConfigError).problems];
    }
    throw new Error('expected a ConfigError');
  }

  it('are all three or none, and a ConfigError names the missing ones', () => {
    expect(loadConfig({}, { cwd: dir.path, dotEnv: false }).admin.tls).toBeUndefined();
    expect(problems({ ADMIN_TLS_CERT: file('server.crt') })).toEqual([
      'ADMIN_TLS_KEY: missing while ADMIN_TLS_CERT is set: ADMIN_TLS_CERT, ADMIN_TLS_KEY, ADMIN_TLS_CA go together (all three or none)',
      'ADMIN_TLS_CA: missing while ADMIN_TLS_CERT is set: ADMIN_TLS_CERT, ADMIN_TLS_KEY, ADMIN_TLS_CA go together (all three or none)',
    ]);
    expect(problems({ ADMIN_TLS_CERT: file('server.crt'), ADMIN_TLS_KEY: file('server.key') })).toEqual([
      'ADMIN_TLS_CA: missing while ADMIN_TLS_CERT and ADMIN_TLS_KEY are set: ADMIN_TLS_CERT, ADMIN_TLS_KEY, ADMIN_TLS_CA go together (all three or none)',
    ]);
  });

  it('name a file that does not exist', () => {
    expect(problems({ ADMIN_TLS_CERT: file('server.crt'), ADMIN_TLS_KEY: file('nope.key'), ADMIN_TLS_CA: file('ca.crt') }))
      .toEqual([`ADMIN_TLS_KEY: no such file: ${file('nope.key')}`]);
  });
});
