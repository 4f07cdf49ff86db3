// The `steveslist` command as a user runs it: start, health, Ctrl-C, restart, and bad input.
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { commandHelp } from '../bin/command-help.js';
import { COMMANDS } from '../bin/cli.js';
import { isAlive } from '../core/process-control.js';
import { PoisonMessage } from '../core/errors.js';
import { toDeadLetter } from '../pipelines/consumers/dead-letter.js';
import { openTestBus, readTopic, replicaId } from './fixtures/cdc.js';
import { newDatabaseUrl } from './fixtures/database.js';
import { ROOT, runCli, startCli } from './fixtures/run-cli.js';
import { tempDir } from './fixtures/temp-dir.js';

const dir = tempDir();
afterAll(() => dir.remove());

/** One line on stderr, no stack trace, and the given exit code. */
function expectOneLineError(result: { code: number | null; stderr: string }, code: number, pattern: RegExp) {
  expect(result.code).toBe(code);
  expect(result.stderr).not.toMatch(/^\s+at /m);
  expect(result.stderr.trim().split('\n')).toHaveLength(1);
  expect(result.stderr).toMatch(pattern);
}

describe('steveslist up', () => {
  it('brings up MariaDB, migrations and /health; Ctrl-C stops everything; a second start reuses the data', async () => {
    const env = { DATA_DIR: join(dir.path, 'data'), PORT: '0', ADMIN_PORT: '0', WAREHOUSE_HTTP_PORT: '0' };
    const first = startCli(['up'], env);
    const [, healthUrl] = await first.waitFor(/"health":"(http:[^"]+)"/);
    // The ready line says what to open and what to do next.
    const ready = JSON.parse(first.output().split('\n').find((line) => line.includes('steveslist is up'))!);
    const url = expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+/);
    expect(ready).toMatchObject({ web: url, admin: url, dashboards: url, warehouse: url, mailbox: join(dir.path, 'data', 'mailbox') });
    expect(ready.next.join('\n')).toMatch(/steveslist seed[\s\S]*steveslist admin add-user[\s\S]*steveslist analyst add/);
    expect((await fetch(ready.web)).headers.get('content-type')).toMatch(/text\/html/);
    const response = await fetch(healthUrl!);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'ok', checks: { mysql: { status: 'up' } } });
    const serverPid = JSON.parse(readFileSync(join(dir.path, 'data', 'mysql', 'server.json'), 'utf8')).pid as number;
    expect(isAlive(serverPid)).toBe(true);

    // Change capture runs inside `up`: it finished its snapshot and saved a binlog position.
    const statePath = join(dir.path, 'data', 'cdc', 'reader-state.json');
    const deadline = Date.now() + 30_000;
    while (!(existsSync(statePath) && !JSON.parse(readFileSync(statePath, 'utf8')).snapshot) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(JSON.parse(readFileSync(statePath, 'utf8'))).toMatchObject({ file: expect.stringMatching(/^binlog\.\d+$/) });

    first.child.kill('SIGINT');
    expect(await first.exited).toBe(0);
    expect(isAlive(serverPid)).toBe(false);
    expect(first.output()).toContain('applied migration');

    const second = startCli(['up'], env);
    await second.waitFor(/steveslist is up/);
    expect(second.output()).not.toContain('initialising');
    expect(second.output()).not.toContain('applied migration');
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);

    // A clean start, and a second one over data, warn about nothing.
    expect(first.output() + second.output()).not.toMatch(/Warning|"level":40/);

    // The private server's root password never reaches the output.
    const { rootPassword } = JSON.parse(readFileSync(join(dir.path, 'data', 'mysql', 'secret.json'), 'utf8'));
    expect(first.output() + second.output()).not.toContain(rootPassword);
  });

  it('uses MYSQL_URL when set and leaves that server running', async () => {
    const { url } = newDatabaseUrl('cli');
    const run = startCli(['up'], { MYSQL_URL: url, PORT: '0', ADMIN_PORT: '0', DATA_DIR: join(dir.path, 'external'), CDC_SERVER_ID: String(replicaId()) });
    await run.waitFor(/steveslist is up/);
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(0);
    expect(run.output()).not.toContain('private MariaDB');
    const password = new URL(inject('mysqlUrl')).password;
    expect(run.output()).not.toContain(password);
  });

  it('refuses an invalid MYSQL_URL in one line, without revealing its password', async () => {
    const result = await runCli(['up'], { MYSQL_URL: 'mysql//app:s3cret@db/steveslist' });
    expectOneLineError(result, 2, /^steveslist: MYSQL_URL: expected mysql:\/\/user:password@host:port\/database/);
    expect(result.stderr).not.toContain('s3cret');
  });

  it('says when MYSQL_URL points at nothing', async () => {
    const result = await runCli(['migrate'], { MYSQL_URL: 'mysql://root:pw@127.0.0.1:1/steveslist' });
    expectOneLineError(result, 1, /MYSQL_URL: nothing accepts connections at mysql:\/\/root:\*\*\*@127\.0\.0\.1:1\/steveslist/);
  });

  it('says when PORT is taken, and stops the MariaDB it started', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const dataDir = join(dir.path, 'port-taken');
      const result = await runCli(['up'], { DATA_DIR: dataDir, PORT: String(port), ADMIN_PORT: '0', LOG_LEVEL: 'silent' });
      expectOneLineError(result, 1, new RegExp(`^steveslist: PORT: 127\\.0\\.0\\.1:${port} is already in use`));
      expect(() => readFileSync(join(dataDir, 'mysql', 'server.json'))).toThrow();
    } finally {
      blocker.close();
    }
  });

  it('prints the effective configuration without a password, key or token anywhere', async () => {
    const secrets = { MYSQL_URL: 'mysql://app:sekrit1@db:3306/shop', CDC_SOURCES: 'a=mysql://cdc:sekrit2@a:3306/shop', SMTP_URL: 'smtp://mail:sekrit3@relay:587',
      CLICKHOUSE_URL: 'http://ch:8123', CLICKHOUSE_PASSWORD: 'sekrit4', ELASTICSEARCH_URL: 'http://es:9200', ELASTICSEARCH_PASSWORD: 'sekrit5', ELASTICSEARCH_API_KEY: 'sekrit6' };
    const result = await runCli(['config'], secrets);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('mysql://cdc:***@a:3306/shop');
    expect(result.stdout).not.toMatch(/sekrit/);
  });

  it('lists every bad setting together', async () => {
    const result = await runCli(['config'], { PORT: 'x', LOG_LEVEL: 'chatty' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('PORT: expected a whole number, got "x"');
    expect(result.stderr).toContain('LOG_LEVEL: expected one of');
    expect(result.stderr).not.toMatch(/^\s+at /m);
  });
});

describe('steveslist help', () => {
  it('shows a command\'s options with their defaults and an example, by --help or help <command>', async () => {
    const help = await runCli(['seed', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^usage: steveslist seed /);
    expect(help.stdout).toMatch(/^ {2}--users N +sample users to add \(default: 100\)$/m);
    expect(help.stdout).toMatch(/^example:\n {2}npx steveslist seed --users \d+/m);
    expect(await runCli(['help', 'seed'])).toEqual(help);
    expectOneLineError(await runCli(['help', 'sedd']), 2, /^steveslist: no command "sedd"; the commands are: up, /);
  });

  it('lists every option a command\'s usage names, and an example, for every command', () => {
    for (const [name, command] of Object.entries(COMMANDS)) {
      const text = commandHelp(command);
      const listed = text.slice(text.indexOf('\noptions:\n'), text.search(/\nexamples?:\n/));
      for (const flag of command.usage.match(/--[a-z-]+/g) ?? []) expect(listed, `${name} ${flag}`).toMatch(new RegExp(`^ {2}${flag}\\b`, 'm'));
      expect(command.examples.length, name).toBeGreaterThan(0);
      for (const example of command.examples) expect(example, name).toContain(`steveslist ${name}`);
    }
  });

  it('prints the version', async () => {
    const result = await runCli(['--version']);
    expect(result).toMatchObject({ code: 0, stdout: `steveslist ${JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version} (Node ${process.versions.node}, running from its bundle)\n` });
  });

  it('refuses an unknown option in one line that points at --help', async () => {
    expectOneLineError(await runCli(['seed', '--userz', '3']), 2, /^steveslist: Unknown option '--userz' \(--help lists the options\)\n$/);
  });
});

describe('steveslist search', () => {
  it('reindexes from MySQL and verifies the index against it', async () => {
    const { url } = newDatabaseUrl('cli');
    const env = { MYSQL_URL: url, DATA_DIR: join(dir.path, 'search-cli'), LOG_LEVEL: 'warn' };
    expect((await runCli(['seed', '--users', '10', '--listings', '120'], env)).code).toBe(0);
    const stale = await runCli(['search', 'verify'], env);
    expect(stale.code).toBe(1);
    expect(stale.stdout).toContain('missing from the index: 120');
    const rebuilt = await runCli(['search', 'reindex'], env);
    expect(rebuilt.code).toBe(0);
    expect(rebuilt.stdout).toMatch(/^reindexed 120 listings into listings-\d+ in [\d.]+s; it now serves searches$/m);
    expect(rebuilt.stderr).toContain('reindex listings: 120/120 (100%)');
    const clean = await runCli(['search', 'verify'], env);
    expect(clean.code).toBe(0);
    expect(clean.stdout).toContain('checked 120 active listings');
  });
});

describe('steveslist sql', () => {
  it('answers one query in the format asked, and refuses writes in one line', async () => {
    const env = { DATA_DIR: join(dir.path, 'sql') };
    const csv = await runCli(['sql', 'SELECT 1 AS one, \'a\' AS letter', '--format', 'csv'], env);
    expect(csv).toMatchObject({ code: 0, stdout: '"one","letter"\n1,"a"\n' });
    const table = await runCli(['sql', 'SELECT number AS n FROM numbers(2)'], env);
    expect(table.stdout).toBe('n\n-\n0\n1\n(2 rows)\n');
    const refused = await runCli(['sql', 'CREATE DATABASE nope'], env);
    expectOneLineError(refused, 1, /^steveslist: the warehouse is read-only for analyst SQL/);
    const bad = await runCli(['sql', 'SELECT 1', '--format', 'xlsx'], env);
    expectOneLineError(bad, 2, /^steveslist: --format: expected one of table, csv, json, arrow, got "xlsx"/);
  });
});

describe('steveslist dlq', () => {
  it('lists a group\'s dead letters and replays them to their topic', async () => {
    const dataDir = join(dir.path, 'dlq');
    const bus = await openTestBus(join(dataDir, 'bus'));
    const original = { topic: 'steveslist.shop.listings', partition: 0, offset: 41, key: '{"id":7}', value: Buffer.from('{"op":"c"}'), headers: {}, timestampMs: 0 };
    await bus.publish('steveslist.dlq.search', [toDeadLetter(original, 'search', new PoisonMessage('mapper_parsing_exception on price'), 1)]);
    await bus.close();

    const listed = await runCli(['dlq', 'list', 'search'], { DATA_DIR: dataDir });
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/steveslist\.shop\.listings\/0@41 {2}key=\{"id":7\} {2}POISON_MESSAGE: mapper_parsing_exception on price/);
    expect(listed.stdout).toContain('1 dead letter(s) for search');

    const replayed = await runCli(['dlq', 'replay', 'search'], { DATA_DIR: dataDir });
    expect(replayed.stdout).toContain('replayed 1 dead letter(s) of search');
    const after = await openTestBus(join(dataDir, 'bus'));
    const [message] = await readTopic(after, 'steveslist.shop.listings');
    await after.close();
    expect(message).toMatchObject({ key: '{"id":7}', headers: {} });
    expect(message!.value!.toString()).toBe('{"op":"c"}');
  });

  it('says how to call it', async () => {
    const result = await runCli(['dlq', 'list'], {});
    expectOneLineError(result, 2, /usage: steveslist dlq list <group>/);
  });
});

describe('steveslist seed and simulate', () => {
  it('seed and simulate write what was asked against MYSQL_URL, with progress', async () => {
    const { url } = newDatabaseUrl('cli');
    const seeded = await runCli(['seed', '--users', '20', '--listings', '150'], { MYSQL_URL: url, LOG_LEVEL: 'warn' });
    expect(seeded.code).toBe(0);
    expect(seeded.stdout).toContain('seeded 20 users and 150 listings');
    expect(seeded.stderr).toContain('seed listings: 150/150 (100%)');

    const simulated = await runCli(['simulate', '--rate', '100/s', '--duration', '1s'], { MYSQL_URL: url, LOG_LEVEL: 'warn' });
    expect(simulated.code).toBe(0);
    expect(simulated.stdout).toMatch(/0 errors; \d+ ops\/s/);
    expect(simulated.stderr).toContain('simulate: 100/100 (100%)');
  });

  it('refuses malformed options with the option named', async () => {
    const result = await runCli(['simulate', '--rate', 'fast'], {});
    expectOneLineError(result, 2, /^steveslist: --rate: expected a rate such as 200\/s or 6000\/m, got "fast"/);
  });
});
