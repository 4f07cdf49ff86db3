// Incremental snapshots while streaming, asked for by a signal row: a table added to capture is
// read chunk by chunk while writers update and delete the very rows being read, and what the
// sinks fold from the topic equals MySQL; pause, resume and a restart in the middle; and the
// saved position moving on while the captured database is idle and another one is written.
// On a server logging FULL row metadata and on one logging MINIMAL (many servers' setting).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { caughtUp, fold, readTopic, startTestReader, tableRows, type TestReader } from '../../test/fixtures/cdc.js';
import { createTestDatabase, type TestDatabase } from '../../test/fixtures/database.js';
import { until } from '../../test/fixtures/eventually.js';
import { rowMetadataSources } from '../../test/fixtures/row-metadata.js';
import { tempDir } from '../../test/fixtures/temp-dir.js';
import { TableFilter } from './topics.js';

const dir = tempDir();
const servers = rowMetadataSources(dir.path);
const open: { db?: TestDatabase; reader?: TestReader }[] = [];
afterEach(async () => {
  for (const { reader, db } of open.splice(0)) {
    await reader?.stop();
    await db?.close();
  }
});
afterAll(async () => {
  await servers.stop();
  dir.remove();
});

async function itemsDatabase(serverUrl: string, rows: number): Promise<TestDatabase> {
  const db = await createTestDatabase('incr', serverUrl);
  await db.pool.query('CREATE TABLE items (id INT PRIMARY KEY, title VARCHAR(100) NOT NULL, price INT NOT NULL, version INT NOT NULL DEFAULT 0)');
  for (let start = 1; start <= rows; start += 1000) {
    const values = Array.from({ length: Math.min(1000, rows - start + 1) }, (_, i) => `(${start + i}, 'item ${start + i}', ${(start + i) * 10})`);
    await db.pool.query(`INSERT INTO items (id, title, price) VALUES ${values.join(',')}`);
  }
  return db;
}

/** A reader capturing only `users`: `items` is outside its include list until a signal adds it. */
async function readerOfUsers(db: TestDatabase, name: string, chunkRows: number) {
  const reader = await startTestReader(db.url, join(dir.path, name), {
    snapshotChunkRows: chunkRows,
    filter: new TableFilter({ database: db.name, include: ['users'], exclude: ['schema_migrations'], excludeColumns: [] }),
  });
  open.push({ db, reader });
  return reader;
}

const signal = (db: TestDatabase, id: string, type: string, data: unknown) =>
  db.pool.query('INSERT INTO cdc_signals (id, type, data) VALUES (?, ?, ?)', [id, type, JSON.stringify(data)]);

const finished = (reader: TestReader) => until(() => reader.reader.stats().incrementalSnapshot, (s) => s !== undefined && s.tablesDone === s.tables, 120_000);

describe.each(servers.sources.filter((s) => s.metadata !== 'NO_LOG'))('incremental snapshots with binlog_row_metadata=$metadata', ({ metadata, serverUrl }) => {
  it('reads a table added by a signal while writers update, delete and insert its rows, and the copy equals MySQL', async () => {
    const db = await itemsDatabase(await serverUrl(), 3000);
    const reader = await readerOfUsers(db, `concurrent-${metadata}`, 100);
    let writing = true;
    let writes = 0;
    const writer = (async () => {
      // Random rows all over the key range, so many land inside open windows.
      while (writing) {
        const id = 1 + Math.floor(Math.random() * 3000);
        if (writes % 7 === 0) await db.pool.query('DELETE FROM items WHERE id = ?', [id]);
        else if (writes % 11 === 0) await db.pool.query('INSERT INTO items (id, title, price) VALUES (?, ?, 1) ON DUPLICATE KEY UPDATE version = version + 1', [3000 + writes, `new ${writes}`]);
        else await db.pool.query('UPDATE items SET price = price + 1, version = version + 1 WHERE id = ?', [id]);
        writes++;
      }
    })();
    await signal(db, 'ad-hoc-1', 'execute-snapshot', { 'data-collections': [`${db.name}.items`], type: 'incremental' });
    const stats = await finished(reader);
    writing = false;
    await writer;
    expect(stats).toMatchObject({ tablesDone: 1, tables: 1, paused: false });
    expect(writes).toBeGreaterThan(50);
    await db.pool.query("UPDATE items SET title = 'after the snapshot' WHERE id = 2");
    await caughtUp(db.url, reader.reader);
    const topic = await readTopic(reader.bus, `sl.${db.name}.items`);
    expect(fold(topic)).toEqual(await tableRows(db.url, 'items'));
    const kinds = new Set(topic.map((m) => (JSON.parse(m.value!.toString()) as { source: { snapshot: string } }).source.snapshot));
    expect(kinds).toEqual(new Set(['incremental', 'false']));
    // The watermarks are the reader's own bookkeeping: never on the bus, and cleaned up.
    expect(await readTopic(reader.bus, `sl.${db.name}.cdc_signals`)).toEqual([]);
    const [left] = await db.pool.query("SELECT COUNT(*) AS n FROM cdc_signals WHERE type LIKE 'snapshot-window-%'");
    expect(Number((left as { n: number }[])[0]!.n)).toBe(0);
  });

  it('pauses and resumes on signals, goes on from its saved key after a restart, and takes a condition', async () => {
    const db = await itemsDatabase(await serverUrl(), 2000);
    const name = `pause-${metadata}`;
    let reader = await readerOfUsers(db, name, 50);
    await signal(db, 'ad-hoc-2', 'execute-snapshot', {
      'data-collections': [`${db.name}.items`], type: 'incremental', 'additional-conditions': [{ 'data-collection': `${db.name}.items`, filter: 'id <= 1500' }],
    });
    await until(() => reader.reader.stats().incrementalSnapshot?.rows ?? 0, (rows) => rows >= 200, 60_000);
    await signal(db, 'pause-1', 'pause-snapshot', { type: 'incremental' });
    const paused = await until(() => reader.reader.stats().incrementalSnapshot, (s) => s?.paused === true, 30_000);
    expect(paused?.paused).toBe(true);
    // The chunk in flight when the pause arrived still closes; then nothing more is read.
    let rowsWhenPaused = -1;
    await until(async () => {
      const now = reader.reader.stats().incrementalSnapshot!.rows;
      await new Promise((r) => setTimeout(r, 1000));
      const steady = now === reader.reader.stats().incrementalSnapshot!.rows;
      rowsWhenPaused = now;
      return steady;
    }, (steady) => steady, 30_000);
    expect(rowsWhenPaused).toBeLessThan(1500);
    await reader.stop();
    open.splice(open.findIndex((o) => o.reader === reader), 1);

    // The saved position holds the progress: started again, it is still paused where it was.
    const saved = JSON.parse(readFileSync(join(dir.path, name, 'cdc', 'reader-state.json'), 'utf8')) as { incremental: { paused: boolean; rows: number }; addedTables: string[] };
    expect(saved.incremental).toMatchObject({ paused: true, rows: rowsWhenPaused });
    expect(saved.addedTables).toEqual(['items']);
    reader = await readerOfUsers(db, name, 50);
    expect(reader.reader.stats().incrementalSnapshot).toMatchObject({ paused: true, rows: rowsWhenPaused });
    await db.pool.query('UPDATE items SET price = 0 WHERE id IN (1, 1700)');
    await signal(db, 'resume-1', 'resume-snapshot', { type: 'incremental' });
    const done = await finished(reader);
    expect(done).toMatchObject({ tables: 1, tablesDone: 1, paused: false });
    await caughtUp(db.url, reader.reader);
    // Rows 1501-2000 are outside the condition: only their streamed change (1700) is on the topic.
    const copy = fold(await readTopic(reader.bus, `sl.${db.name}.items`));
    const mysql = await tableRows(db.url, 'items');
    expect([...copy.keys()].sort()).toEqual([...mysql.keys()].filter((key) => JSON.parse(key).id <= 1500 || JSON.parse(key).id === 1700).sort());
    for (const [key, row] of copy) expect(row, key).toEqual(mysql.get(key));
  });
});

describe('heartbeats', () => {
  it('moves the saved position on while the captured database is idle and another database on the server is written', async () => {
    const captured = await createTestDatabase('idle');
    const busy = await createTestDatabase('busy');
    const reader = await startTestReader(captured.url, join(dir.path, 'heartbeat'));
    open.push({ db: captured, reader }, { db: busy });
    const statePath = join(dir.path, 'heartbeat', 'cdc', 'reader-state.json');
    const before = JSON.parse(readFileSync(statePath, 'utf8')) as { file: string; pos: number };
    for (let i = 0; i < 20; i++) await busy.pool.query('INSERT INTO users (email, name) VALUES (?, ?)', [`u${i}@example.com`, `u${i}`]);
    await caughtUp(captured.url, reader.reader);
    const after = await until(() => JSON.parse(readFileSync(statePath, 'utf8')) as { file: string; pos: number }, (s) => s.file !== before.file || s.pos > before.pos, 15_000);
    expect(after.file > before.file || (after.file === before.file && after.pos > before.pos)).toBe(true);
    expect(reader.reader.stats().changesPublished).toBe(0);
  });
});
