// Change-event building needs no server: a decoded binlog transaction in, envelopes out.
import { describe, expect, it } from 'vitest';
import type { BinlogTransaction, RowChange } from './binlog-stream.js';
import { ChangeEvents } from './change-events.js';
import type { ChangeEnvelope } from './envelope.js';
import { eventVersion } from './event-version.js';
import { TableFilter } from './topics.js';

const LONG = 8; // MySQL type code of BIGINT
const VARCHAR = 15;
const types = new Map([['id', LONG], ['title', VARCHAR], ['secret', VARCHAR]]);

function events(partitions = 2) {
  return new ChangeEvents({
    database: 'shop', topicPrefix: 'sl', sourceName: 'main', now: () => 1_000,
    filter: new TableFilter({ database: 'shop', include: [], exclude: ['hidden'], excludeColumns: ['items.secret'] }),
    schemaOf: (database, table) => ({ database, table, columns: ['id', 'title', 'secret'], primaryKey: ['id'], special: new Map() }),
    forgetSchemas: () => undefined,
    partitionsOf: async () => partitions,
  });
}

const change = (op: RowChange['op'], table: string, before: Record<string, unknown> | null, after: Record<string, unknown> | null, row = 0): RowChange => ({
  op, database: 'shop', table, before, after, columnTypes: types, pos: 400, row,
});

function transaction(changes: RowChange[], ddl: BinlogTransaction['ddl'] = []): BinlogTransaction {
  return { gtid: '0-1-7', serverId: 1, timestampMs: 5_000, file: 'bin.000002', endPos: 900, changes, ddl };
}

const parsed = (value: Buffer | string | null | undefined) => JSON.parse(String(value)) as ChangeEnvelope;

describe('change events', () => {
  it('shapes row changes as Debezium envelopes keyed by primary key, without excluded tables and columns', async () => {
    const { messages, count, clock } = await events().ofTransaction(transaction([
      change('c', 'items', null, { id: 1, title: 'Sofa', secret: 's' }),
      change('u', 'items', { id: 1, title: 'Sofa', secret: 's' }, { id: 1, title: 'Couch', secret: 's' }, 1),
      change('d', 'hidden', { id: 9, title: 'x', secret: 'x' }, null),
    ]), 0n);
    expect(count).toBe(2);
    expect(clock).toBe(5_000n);
    expect(messages.map((m) => [m.topic, m.message.key])).toEqual([['sl.shop.items', '{"id":1}'], ['sl.shop.items', '{"id":1}']]);
    const update = parsed(messages[1]!.message.value);
    expect(update).toMatchObject({
      op: 'u', before: { id: 1, title: 'Sofa' }, after: { id: 1, title: 'Couch' }, ts_ms: 1_000,
      source: { name: 'main', db: 'shop', table: 'items', file: 'bin.000002', pos: 400, row: 1, gtid: '0-1-7', snapshot: 'false' },
      transaction: { id: '0-1-7', total_order: 2, data_collection_order: 2 },
    });
    expect(update.after).not.toHaveProperty('secret');
    expect(eventVersion(update) > eventVersion(parsed(messages[0]!.message.value))).toBe(true);
  });

  it('versions a later transaction above an earlier one even when the clock of the source went back', async () => {
    const shaping = events();
    const first = await shaping.ofTransaction(transaction([change('c', 'items', null, { id: 1, title: 'a', secret: '' })]), 0n);
    const second = await shaping.ofTransaction({ ...transaction([change('u', 'items', { id: 1, title: 'a', secret: '' }, { id: 1, title: 'b', secret: '' })]), timestampMs: 10 }, first.clock);
    expect(second.clock > first.clock).toBe(true);
  });

  it("sends a truncate to every partition, and the database's DDL to the schema-change topic", async () => {
    const { messages, count } = await events(3).ofTransaction(transaction([], [{ database: 'shop', sql: 'TRUNCATE TABLE items', pos: 120 }]), 0n);
    expect(count).toBe(1);
    expect(messages.filter((m) => m.topic === 'sl').map((m) => parsed(m.message.value)).map((v) => (v as unknown as { ddl: string }).ddl)).toEqual(['TRUNCATE TABLE items']);
    expect(messages.filter((m) => m.topic === 'sl.shop.items').map((m) => [m.message.partition, parsed(m.message.value).op])).toEqual([[0, 't'], [1, 't'], [2, 't']]);
  });

  it("places an incremental snapshot chunk's reads after the changes before its closing watermark", async () => {
    const shaping = events();
    const before = await shaping.ofTransaction(transaction([change('c', 'items', null, { id: 2, title: 'new', secret: '' })]), 0n);
    const reads = shaping.chunkReads({ ...transaction([]), endPos: 1_200 }, before.clock, 'items', [{ id: 1, title: 'old', secret: 'x' }], ['id']);
    const read = parsed(reads.messages[0]!.message.value);
    expect(read).toMatchObject({ op: 'r', after: { id: 1, title: 'old' }, source: { snapshot: 'incremental', pos: 1_200 } });
    expect(read.after).not.toHaveProperty('secret');
    expect(eventVersion(read) > eventVersion(parsed(before.messages[0]!.message.value))).toBe(true);
  });
});
