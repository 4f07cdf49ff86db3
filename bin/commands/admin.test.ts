// `steveslist admin add-user` as staff use it: the password on standard input, a role, and a TOTP
// secret shown once that logs in.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { staffLogin } from '../../marketplace/auth/admin-accounts.js';
import { totpCode } from '../../marketplace/auth/totp.js';
import type { RowDataPacket } from '../../marketplace/mysql/connection.js';
import { createTestDatabase, type TestDatabase } from '../../test/fixtures/database.js';
import { ROOT } from '../../test/fixtures/run-cli.js';
import { tempDir } from '../../test/fixtures/temp-dir.js';

const PASSWORD = 'correct horse battery staple';
const dir = tempDir();
let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase('admincli');
});
afterAll(async () => {
  await db?.close();
  dir.remove();
});

function addUser(args: string[], password: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(MYSQL_|DATA_DIR|LOG_|ADMIN_)/.test(key)));
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'steveslist.js'), 'admin', 'add-user', ...args], {
      cwd: ROOT, env: { ...env, MYSQL_URL: db.url, DATA_DIR: dir.path, LOG_LEVEL: 'warn', LOG_FORMAT: 'json' }, stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => { stdout += chunk; });
    child.stderr.on('data', (chunk) => { stderr += chunk; });
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(`${password}\n`);
  });
}

describe('steveslist admin add-user', () => {
  it('makes an account with a role and a second factor whose otpauth URI is printed once and logs in', async () => {
    const made = await addUser(['sam', '--role', 'support', '--totp'], PASSWORD);
    expect(made).toMatchObject({ code: 0, stderr: '' });
    expect(made.stdout).toContain('admin user sam created with the support role');
    const uri = /otpauth:\/\/totp\/\S+/.exec(made.stdout)?.[0];
    expect(uri).toMatch(/^otpauth:\/\/totp\/Steveslist%20staff:sam\?/);
    const [[row]] = await db.pool.query<RowDataPacket[]>("SELECT role, totp_secret IS NOT NULL AS totp FROM admin_users WHERE username = 'sam'");
    expect({ role: row!.role, totp: Number(row!.totp) }).toEqual({ role: 'support', totp: 1 });
    const secret = new URL(uri!).searchParams.get('secret')!;
    const login = await staffLogin(db.pool, { username: 'sam', password: PASSWORD, totp: totpCode(secret), kind: 'bearer' });
    expect(login).toMatchObject({ ok: true, session: { username: 'sam', role: 'support' } });
  });

  it('makes an admin when no role is named, without a second factor', async () => {
    const made = await addUser(['ada'], PASSWORD);
    expect(made.code).toBe(0);
    expect(made.stdout).not.toContain('otpauth');
    const [[row]] = await db.pool.query<RowDataPacket[]>("SELECT role FROM admin_users WHERE username = 'ada'");
    expect(row!.role).toBe('admin');
  });

  it('refuses a role that does not exist, naming the choices', async () => {
    const role = await addUser(['eve', '--role', 'root'], PASSWORD);
    expect(role.code).not.toBe(0);
    expect(role.stderr).toContain('--role: expected one of support, moderator, analyst, operator, admin, got "root"');
  });

  it('refuses a short password', async () => {
    const short = await addUser(['eve'], 'short');
    expect(short.code).not.toBe(0);
    expect(short.stderr).toContain('password: at least 12 characters');
  });
});
