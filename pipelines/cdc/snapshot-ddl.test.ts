// DDL while the initial snapshot runs, as on any live database (a migration, a new feature's
// table): tables created, altered and dropped while a large table is being read. Change capture
// carries on, and the topics end with MySQL's rows.
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { caughtUp, ddlStatements, envelopes, fold, readTopic, startTestReader, tableRows, type TestReader } from '../../test/fixtures/cdc.js';
import { createTestDatabase, type TestDatabase } from '../../test/fixtures/database.js';
import { rowMetadataSources } from '../../test/fixtures/row-metadata.js';
import { tempDir } from '../../test/fixtures/temp-dir.js';
import type { Row } from './envelope.js';
import { FileStateStore, type ReaderState } from './reader-state.js';

const dir = tempDir();
const open: { db: TestDatabase; reader?: TestReader }[] = [];
afterEach(async () => {
  for (const { reader, db } of open.splice(0)) {
    await reader?.stop();
    await db.close();
  }
});
const servers = rowMetadataSources(dir.path);
afterAll(async () => {
  await servers.stop();
  dir.remove();
});

const BIG_ROWS = 150_000;

/** Statements run while the snapshot runs. */
interface Ddl {
  /** After the snapshot's transaction began, before it lists the tables. */
  atStart?: string[];
  /** Once the first chunk of `big` is published; the snapshot goes on meanwhile. */
  duringBig: string[];
  /** Sent with `duringBig` on a table the snapshot holds: it waits for the snapshot to finish. */
  waiting?: string;
}

/** Runs statements one after the other. */
async function run(db: TestDatabase, statements: string[]): Promise<void> {
  for (const sql of statements) await db.pool.query(sql);
}

/** Tables (id, v) of `rows` rows each. */
async function filledTables(db: TestDatabase, tables: string[], rows: number): Promise<void> {
  for (const table of tables) {
    await db.pool.query(`CREATE TABLE ${table} (id INT PRIMARY KEY, v VARCHAR(20))`);
    await db.pool.query(`INSERT INTO ${table} SELECT seq, CONCAT('before ', seq) FROM seq_1_to_${rows}`);
  }
}

/** A database with a large table `big`, and a reader whose snapshot reads it in small chunks. */
async function snapshotWithDdl(serverUrl: string, name: string, prepare: (db: TestDatabase) => Promise<void>, ddl: Ddl) {
  const db = await createTestDatabase('ddl', serverUrl);
  open.push({ db });
  await filledTables(db, ['big'], BIG_ROWS);
  await prepare(db);
  const store = new FileStateStore(join(dir.path, name, 'cdc'));
  let started = false;
  let during: Promise<string> | undefined;
  let waited: Promise<unknown> = Promise.resolve();
  const reader = await startTestReader(db.url, join(dir.path, name), {
    snapshotChunkRows: 500,
    store: {
      load: () => store.load(),
      async save(state: ReaderState) {
        if (state.snapshot && !started) {
          started = true;
          await run(db, ddl.atStart ?? []);
        }
        await store.save(state);
      },
    },
    progress: (label) => ({
      update() {
        if (label !== 'snapshot big' || during) return;
        if (ddl.waiting) waited = db.pool.query(ddl.waiting);
        during = run(db, ddl.duringBig).then(async () => ((await store.load())?.snapshot ? 'snapshot' : 'done'));
      },
      finish() {},
    }),
  });
  open[open.length - 1]!.reader = reader;
  // The DDL ran while the snapshot was still under way.
  expect(await during).toBe('snapshot');
  return { db, reader, waited, topic: (table: string) => `sl.${db.name}.${table}` };
}

/** Rows as a sink has them: a column added after a row was last written reads NULL there. */
function withColumnsOf(rows: Map<string, Row>, mysql: Map<string, Row>): Map<string, Row> {
  const columns = Object.keys(mysql.values().next().value ?? {});
  return new Map([...rows].map(([key, row]) => [key, Object.fromEntries(columns.map((c) => [c, row[c] ?? null]))]));
}

// NO_LOG decodes as MINIMAL does here (both take names from information_schema): two suffice.
describe.each(servers.sources.filter((s) => s.metadata !== 'NO_LOG'))('the snapshot under DDL, binlog_row_metadata=$metadata', ({ metadata, serverUrl }) => {
  it('captures tables created while the snapshot runs, their rows from the binlog', async () => {
    const { db, reader, topic } = await snapshotWithDdl(await serverUrl(), `create-${metadata}`, async () => undefined, {
      // Created after the snapshot's point but before it lists the tables: listed, yet not in its view.
      atStart: ['CREATE TABLE early (id INT PRIMARY KEY, v VARCHAR(20))', "INSERT INTO early VALUES (1, 'one'), (2, 'two'), (3, 'three')"],
      duringBig: [
        'CREATE TABLE late (id INT PRIMARY KEY, v VARCHAR(20))',
        "INSERT INTO late SELECT seq, CONCAT('late ', seq) FROM seq_1_to_1000",
        "UPDATE late SET v = 'changed' WHERE id <= 10",
        'DELETE FROM late WHERE id = 1000',
        "UPDATE early SET v = 'TWO' WHERE id = 2",
      ],
    });
    await db.pool.query("INSERT INTO late VALUES (1001, 'streamed')");
    await db.pool.query('DELETE FROM early WHERE id = 3');
    await caughtUp(db.url, reader.reader);
    for (const table of ['big', 'early', 'late']) {
      expect(fold(await readTopic(reader.bus, topic(table))), table).toEqual(await tableRows(db.url, table));
    }
    // `late` did not exist at the snapshot's point: every one of its rows came from the binlog.
    expect(envelopes(await readTopic(reader.bus, topic('late'))).filter((e) => e.op === 'r')).toEqual([]);
  });

  it('captures tables altered while the snapshot runs, in their new shape once they have it', async () => {
    const { db, reader, topic, waited } = await snapshotWithDdl(await serverUrl(), `alter-${metadata}`, (d) => filledTables(d, ['instant', 'rebuilt'], 2000), {
      // The table being read.
      waiting: 'ALTER TABLE big ADD COLUMN extra INT NULL',
      duringBig: [
        "INSERT INTO instant VALUES (2001, 'old shape')",
        'ALTER TABLE instant ADD COLUMN note VARCHAR(20) NULL, ALGORITHM=INSTANT',
        "INSERT INTO instant VALUES (2002, 'new shape', 'noted')",
        "UPDATE instant SET note = 'touched' WHERE id <= 5",
        // A copying ALTER gives the table a new definition the snapshot's view cannot read.
        "INSERT INTO rebuilt VALUES (2001, 'old shape')",
        'ALTER TABLE rebuilt ADD COLUMN note VARCHAR(20) NULL, MODIFY v VARCHAR(40), ALGORITHM=COPY',
        "INSERT INTO rebuilt VALUES (2002, 'new shape', 'noted')",
        "UPDATE rebuilt SET note = 'touched' WHERE id <= 5",
      ],
    });
    await waited;
    await db.pool.query('UPDATE big SET extra = id WHERE id <= 100');
    await db.pool.query("INSERT INTO instant VALUES (2003, 'streamed', 'n')");
    await caughtUp(db.url, reader.reader);
    for (const table of ['big', 'instant', 'rebuilt']) {
      const mysql = await tableRows(db.url, table);
      expect(withColumnsOf(fold(await readTopic(reader.bus, topic(table))), mysql), table).toEqual(mysql);
    }
    // Rows the snapshot read after the ALTER carry the new column.
    const instant = fold(await readTopic(reader.bus, topic('instant')));
    expect(instant.get('{"id":1000}')).toEqual({ id: 1000, v: 'before 1000', note: null });
    expect(fold(await readTopic(reader.bus, topic('rebuilt'))).get('{"id":1000}')).toEqual({ id: 1000, v: 'before 1000', note: null });
    expect((await ddlStatements(reader.bus)).filter((sql) => /^ALTER TABLE/.test(sql))).toHaveLength(3);
  });

  it('decodes the rows written before a column was inserted ahead of others, renamed or dropped during the snapshot with the columns they had', async () => {
    const { db, reader, topic } = await snapshotWithDdl(await serverUrl(), `columns-${metadata}`, (d) => filledTables(d, ['reordered', 'renamed', 'shrunk'], 1000), {
      duringBig: [
        "INSERT INTO renamed VALUES (1001, 'old name')",
        // As a migration tool may send it: the statement does not start with ALTER.
        '/* migration 42 */ ALTER TABLE renamed CHANGE v w VARCHAR(20)',
        "INSERT INTO renamed VALUES (1002, 'new name')",
        "INSERT INTO reordered VALUES (1001, 'old shape')",
        "UPDATE reordered SET v = 'updated' WHERE id = 1",
        'ALTER TABLE reordered ADD COLUMN f VARCHAR(10) NULL FIRST',
        "INSERT INTO reordered VALUES ('new', 1002, 'new shape')",
        "INSERT INTO shrunk VALUES (1001, 'old shape')",
        'ALTER TABLE shrunk DROP COLUMN v',
        'INSERT INTO shrunk VALUES (1002)',
      ],
    });
    await db.pool.query("UPDATE reordered SET f = 'streamed' WHERE id = 2");
    await caughtUp(db.url, reader.reader);
    // (A renamed column's older rows keep its old name, as with FULL metadata: compared by event below.)
    for (const table of ['reordered', 'shrunk']) {
      const mysql = await tableRows(db.url, table);
      expect(withColumnsOf(fold(await readTopic(reader.bus, topic(table))), mysql), table).toEqual(mysql);
    }
    expect(envelopes(await readTopic(reader.bus, topic('reordered'))).filter((e) => e.op !== 'r').map((e) => e.after)).toEqual([
      { id: 1001, v: 'old shape' }, { id: 1, v: 'updated' }, { f: 'new', id: 1002, v: 'new shape' }, { f: 'streamed', id: 2, v: 'before 2' },
    ]);
    expect(envelopes(await readTopic(reader.bus, topic('renamed'))).filter((e) => e.op !== 'r').map((e) => e.after)).toEqual([
      { id: 1001, v: 'old name' }, { id: 1002, w: 'new name' },
    ]);
    expect(envelopes(await readTopic(reader.bus, topic('shrunk'))).filter((e) => e.op !== 'r').map((e) => e.after)).toEqual([
      { id: 1001, v: 'old shape' }, { id: 1002 },
    ]);
  });

  it('keeps the rows of tables dropped while the snapshot runs as they were, passes the DROP on, and follows a rename', async () => {
    // `aaa_read` is snapshotted before `big`, the others after it.
    const { db, reader, topic, waited } = await snapshotWithDdl(await serverUrl(), `drop-${metadata}`, (d) => filledTables(d, ['aaa_read', 'zzz_unread', 'zzz_moving'], 500), {
      // A table the snapshot already read.
      waiting: 'DROP TABLE aaa_read',
      duringBig: [
        "INSERT INTO zzz_unread VALUES (501, 'inserted')",
        'DROP TABLE zzz_unread',
        // Gone under the name listed, its rows (from before the snapshot too) live on under another.
        "INSERT INTO zzz_moving VALUES (501, 'inserted')",
        'RENAME TABLE zzz_moving TO zzz_moved',
        "UPDATE zzz_moved SET v = 'moved' WHERE id <= 10",
      ],
    });
    const aaaRows = fold(await readTopic(reader.bus, topic('aaa_read')));
    await waited;
    await db.pool.query("UPDATE big SET v = 'after the drops' WHERE id = 1");
    // A table of the same name again: its rows are captured.
    await db.pool.query('CREATE TABLE zzz_unread (id INT PRIMARY KEY, w INT)');
    await db.pool.query('INSERT INTO zzz_unread VALUES (1, 10), (2, 20)');
    await caughtUp(db.url, reader.reader);
    expect(fold(await readTopic(reader.bus, topic('big')))).toEqual(await tableRows(db.url, 'big'));
    expect(fold(await readTopic(reader.bus, topic('zzz_unread')))).toEqual(await tableRows(db.url, 'zzz_unread'));
    expect(fold(await readTopic(reader.bus, topic('zzz_moved')))).toEqual(await tableRows(db.url, 'zzz_moved'));
    expect((await tableRows(db.url, 'zzz_moved')).size).toBe(501);
    // Rows sent stay as of the snapshot's point; the DROP follows them.
    expect(aaaRows.size).toBe(500);
    expect(envelopes(await readTopic(reader.bus, topic('zzz_unread'))).filter((e) => e.op === 'r')).toEqual([]);
    expect((await ddlStatements(reader.bus)).filter((sql) => /^DROP TABLE/.test(sql)).sort()).toEqual(['DROP TABLE `aaa_read` /* generated by server */', 'DROP TABLE `zzz_unread` /* generated by server */'].sort());
  });
});
