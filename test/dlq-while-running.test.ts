// `steveslist dlq list|replay` while `steveslist up` owns the embedded bus: the commands go through
// its admin service with the secret it leaves beside the bus, and once it stops they open the bus
// themselves. The dead letters are real: a trigger in the embedded search index rejects documents.
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../core/ports.js';
import type { RowDataPacket } from '../marketplace/mysql/connection.js';
import { busOwnerFileOf, readBusOwner } from '../pipelines/bus/embedded/bus-owner.js';
import { openTestBus, readTopic } from './fixtures/cdc.js';
import { createTestDatabase, type TestDatabase } from './fixtures/database.js';
import { until } from './fixtures/eventually.js';
import { httpClient } from './fixtures/http-client.js';
import { runCli, startCli, type RunningCli } from './fixtures/run-cli.js';
import { tempDir } from './fixtures/temp-dir.js';
import { directListings, type DirectListings } from './fixtures/direct-listings.js';

const dir = tempDir();
const busDir = join(dir.path, 'bus');
let db: TestDatabase;
let up: RunningCli;
let env: Record<string, string>;
let call: ReturnType<typeof httpClient>;

beforeAll(async () => {
  db = await createTestDatabase('dlqup');
  env = { MYSQL_URL: db.url, DATA_DIR: dir.path, PORT: '0', ADMIN_PORT: '0', WAREHOUSE_HTTP_PORT: '0', CDC_SERVER_ID: String(80_000 + Math.floor(Math.random() * 10_000)) };
  up = startCli(['up'], env);
  const [, web] = await up.waitFor(/"web":"(http:[^"]+)\/"/, 120_000);
  call = httpClient(web!);
}, 180_000);
afterAll(async () => {
  if (up && up.child.exitCode === null) {
    up.child.kill('SIGTERM');
    await up.exited;
  }
  await db?.close();
  dir.remove();
});

/** A listing written straight to MySQL, as the marketplace would; returns its id. */
let listings: DirectListings | undefined;
const writer = () => (listings ??= directListings(db.pool, { email: 'dlq@example.com', name: 'Dead Letter Seller' }));
const addListing = (name: string) => writer().add(name);

const searchable = (word: string) => until(async () => (await call('GET', `/v1/search?q=${word}`)).body, (body) => body?.total === 1, 60_000);

/** Runs `act` while the embedded search index rejects every new document. */
async function whileSearchRejects<T>(act: () => Promise<T>): Promise<T> {
  const file = readdirSync(join(dir.path, 'search')).find((name) => name.endsWith('.sqlite'))!;
  const index = new Database(join(dir.path, 'search', file));
  try {
    index.exec("CREATE TRIGGER maintenance BEFORE INSERT ON docs BEGIN SELECT RAISE(ABORT, 'search index closed for maintenance'); END;");
    return await act();
  } finally {
    index.exec('DROP TRIGGER IF EXISTS maintenance');
    index.close();
  }
}

const dlq = (...args: string[]) => runCli(['dlq', ...args], env);
const deadLetterCount = async () => Number(/(\d+) dead letter\(s\) for search-indexer/.exec((await dlq('list', 'search-indexer')).stdout)?.[1]);

describe('steveslist dlq while the platform runs', () => {
  it('lists and replays through the running platform, which leaves its address and secret readable only by its user', async () => {
    await addListing('Velocipede warmup');
    await searchable('velocipede');
    const owner = readBusOwner(busDir);
    expect(owner).toMatchObject({ pid: up.child.pid, admin: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/) });
    expect(statSync(busOwnerFileOf(busDir)).mode & 0o777).toBe(0o600);

    const id = await whileSearchRejects(async () => {
      const listing = await addListing('Dandyhorse rejected');
      await until(deadLetterCount, (n) => n === 1, 30_000);
      return listing;
    });
    const listed = await dlq('list', 'search-indexer');
    expect(listed).toMatchObject({ code: 0, stderr: '' });
    expect(listed.stdout).toMatch(new RegExp(`steveslist\\.\\w+\\.listings/\\d+@\\d+  key=\\{"id":${id}\\}  \\w+: .*search index closed for maintenance`));

    const replayed = await dlq('replay', 'search-indexer', '--reason', 'trigger dropped');
    expect(replayed).toMatchObject({ code: 0, stdout: 'replayed 1 dead letter(s) of search-indexer\n' });
    await searchable('dandyhorse');
    const [audit] = await db.pool.query<RowDataPacket[]>("SELECT admin_username, reason FROM admin_audit WHERE action = 'consumer_group.replay_dead_letters'");
    expect(audit).toEqual([expect.objectContaining({ admin_username: expect.stringMatching(/^local:/), reason: 'trigger dropped' })]);
  });

  it('opens the bus itself once the platform has stopped', async () => {
    await whileSearchRejects(async () => {
      await addListing('Draisine rejected');
      await until(deadLetterCount, (n) => n === 2, 30_000);
    });
    up.child.kill('SIGTERM');
    expect(await up.exited).toBe(0);
    expect(readBusOwner(busDir)).toBeUndefined();

    const listed = await dlq('list', 'search-indexer');
    expect(listed).toMatchObject({ code: 0, stderr: '' });
    expect(listed.stdout).toContain('2 dead letter(s) for search-indexer');
    // The first was replayed while the platform ran; only the second goes back.
    expect((await dlq('replay', 'search-indexer')).stdout).toBe('replayed 1 dead letter(s) of search-indexer\n');
    const bus = await openTestBus(busDir);
    try {
      const listings = (await bus.listTopics()).find((topic) => topic.endsWith('.listings'))!;
      const draisine = (await readTopic(bus, listings)).filter((m) => m.value?.toString().includes('Draisine rejected'));
      expect(draisine).toHaveLength(2);
    } finally {
      await bus.close();
    }
  });

  it('says so when the platform owns the bus but its admin service cannot be reached, and ignores a file a killed platform left', async () => {
    const admin = `http://127.0.0.1:${await freePort()}`;
    writeFileSync(busOwnerFileOf(busDir), JSON.stringify({ pid: process.pid, admin, secret: 'x' }), { mode: 0o600 });
    const unreachable = await dlq('list', 'search-indexer');
    expect(unreachable.code).not.toBe(0);
    expect(unreachable.stderr.trim().split('\n')).toHaveLength(1);
    expect(unreachable.stderr).toContain(`owns the embedded bus, and this command goes through its admin service, but ${admin} cannot be reached (ECONNREFUSED)`);

    const gone = startCli(['--version']);
    await gone.exited;
    writeFileSync(busOwnerFileOf(busDir), JSON.stringify({ pid: gone.child.pid, admin, secret: 'x' }), { mode: 0o600 });
    expect((await dlq('list', 'search-indexer')).stdout).toContain('2 dead letter(s) for search-indexer');
  });
});
