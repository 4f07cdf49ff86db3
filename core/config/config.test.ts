import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../test/fixtures/run-cli.js';
import { tempDir } from '../../test/fixtures/temp-dir.js';
import { ConfigError } from '../errors.js';
import { loadConfig, readConfig } from './index.js';

const dir = tempDir();
afterAll(() => dir.remove());

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(env, { cwd: dir.path, dotEnv: false });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return [...(error as ConfigError).problems];
  }
  throw new Error('expected a ConfigError');
}

describe('configuration', () => {
  it('runs on one machine with no settings at all', () => {
    const config = loadConfig({}, { cwd: dir.path, dotEnv: false });
    expect(config.mysql.url).toBeUndefined();
    expect(config.dataDir).toBe(join(dir.path, '.data'));
    expect(config.mysql.dataDir).toBe(join(dir.path, '.data', 'mysql'));
    expect(config.http).toEqual({ host: '127.0.0.1', port: 3000, rateLimitPerMinute: 600, authRateLimitPerMinute: 30, trustedProxies: [] });
    expect(config.log.level).toBe('info');
    expect(config.bus.recentBytes).toBe(64 * 1024 * 1024);
    expect(loadConfig({ BUS_MEMORY_MB: '0' }, { cwd: dir.path, dotEnv: false }).bus.recentBytes).toBe(0);
    expect(problemsOf({ BUS_MEMORY_MB: '-1' })).toEqual(['BUS_MEMORY_MB: expected a number from 0 to 65536, got -1']);
  });

  it('takes trusted proxies as addresses, CIDR ranges and range names, and names a bad entry', () => {
    expect(loadConfig({ TRUSTED_PROXIES: '10.0.0.0/8, 192.168.1.7, fd00::/8, loopback' }, { cwd: dir.path, dotEnv: false }).http.trustedProxies)
      .toEqual(['10.0.0.0/8', '192.168.1.7', 'fd00::/8', 'loopback']);
    expect(problemsOf({ TRUSTED_PROXIES: 'my-balancer,10.0.0.0/40' })).toEqual([
      'TRUSTED_PROXIES: "my-balancer" is not an IP address, a CIDR range (10.0.0.0/8) or one of loopback, linklocal, uniquelocal',
      'TRUSTED_PROXIES: "10.0.0.0/40": the prefix length must be 0-32',
    ]);
  });

  it('reports every bad setting at once, each naming the setting and the reason', () => {
    const problems = problemsOf({ MYSQL_URL: 'localhost:3306', PORT: 'eighty', LOG_LEVEL: 'loud', MYSQL_PORT: '70000' });
    expect(problems).toEqual([
      'MYSQL_URL: expected mysql://user:password@host:port/database (scheme mysql: or mariadb:), got "localhost:3306"',
      'MYSQL_PORT: expected a number from 0 to 65535, got 70000',
      'PORT: expected a whole number, got "eighty"',
      'LOG_LEVEL: expected one of fatal, error, warn, info, debug, trace, silent, got "loud"',
    ]);
  });

  it('never repeats a password from a malformed MYSQL_URL', () => {
    const [problem] = problemsOf({ MYSQL_URL: 'postgres://app:hunter2@db:5432/steveslist' });
    expect(problem).toContain('scheme mysql: or mariadb:');
    expect(problem).not.toContain('hunter2');
  });

  it('requires a user and a database in MYSQL_URL', () => {
    expect(problemsOf({ MYSQL_URL: 'mysql://db.internal:3306/steveslist' })[0]).toContain('the user is missing');
    expect(problemsOf({ MYSQL_URL: 'mysql://app:pw@db.internal:3306/' })[0]).toContain('the database is missing');
  });

  it('reads .env, and the environment wins over it', () => {
    writeFileSync(join(dir.path, '.env'), 'PORT=4100\nLOG_LEVEL=debug\n');
    const config = loadConfig({ LOG_LEVEL: 'warn' }, { cwd: dir.path });
    expect(config.http.port).toBe(4100);
    expect(config.log.level).toBe('warn');
  });

  it('reads REPORT_RECIPIENTS as distinct addresses and names the one that is not', () => {
    expect(loadConfig({}, { cwd: dir.path, dotEnv: false }).reports.recipients).toEqual([]);
    const config = loadConfig({ REPORT_RECIPIENTS: ' Ops@Example.com, ceo@example.com,ops@example.com ' }, { cwd: dir.path, dotEnv: false });
    expect(config.reports.recipients).toEqual(['ops@example.com', 'ceo@example.com']);
    const [problem] = problemsOf({ REPORT_RECIPIENTS: 'ops@example.com;ceo@example.com' });
    expect(problem).toMatch(/^REPORT_RECIPIENTS: not an email address: ops@example.com;ceo@example.com \(a comma-separated list/);
  });

  it('reads CDC_SOURCES as named MySQL URLs, and names what is wrong without repeating a password', () => {
    const config = loadConfig({ CDC_SOURCES: 'shard-a=mysql://cdc:p%2Cw@a:3306/shop, shard-b=mysql://cdc:pw@b:3306/shop' }, { cwd: dir.path, dotEnv: false });
    expect(config.cdc.sources).toEqual([{ name: 'shard-a', url: 'mysql://cdc:p%2Cw@a:3306/shop' }, { name: 'shard-b', url: 'mysql://cdc:pw@b:3306/shop' }]);
    expect(loadConfig({}, { cwd: dir.path, dotEnv: false }).cdc.sources).toEqual([]);
    const problems = problemsOf({ CDC_SOURCES: 'mysql://cdc:hunter2@a:3306/shop,x=mysql://cdc:pw@b:3306/,x=mysql://cdc:pw@c:3306/shop' });
    expect(problems).toEqual([
      'CDC_SOURCES: expected name=mysql://user:password@host:port/database[,name=...] (names of letters, digits, _ and -), got "mysql://cdc:***@a:3306/shop"',
      'CDC_SOURCES: expected mysql://user:password@host:port/database: the database is missing in "mysql://cdc:***@b:3306/"',
      'CDC_SOURCES: the name "x" is given twice',
    ]);
  });

  it("reads CDC_DECODER: the reader's own rows decoder unless zongji's is asked for", () => {
    expect(loadConfig({}, { cwd: dir.path, dotEnv: false }).cdc.rowsDecoder).toBe('builtin');
    expect(loadConfig({ CDC_DECODER: 'zongji' }, { cwd: dir.path, dotEnv: false }).cdc.rowsDecoder).toBe('zongji');
    expect(problemsOf({ CDC_DECODER: 'fast' })[0]).toMatch(/^CDC_DECODER: /);
  });

  it('documents every setting it reads in the README', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const { names } = readConfig({}, { cwd: dir.path, dotEnv: false });
    const missing = names.filter((name) => !readme.includes(`\`${name}\``));
    expect(missing).toEqual([]);
  });
});
