// Embedded bus throughput: publishing (with each fsync policy) and consuming by a group, and its
// open after a kill -9 while written.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedBus } from '../pipelines/bus/embedded/index.js';
import type { FsyncPolicy } from '../pipelines/bus/embedded/partition-log.js';
import { parseMessage } from '../pipelines/consumers/parse-message.js';
import { measure, type BenchResult } from './table.js';

const MESSAGES = 200_000;
const BATCH = 500;
const PRODUCERS = 4;

async function publishAndConsume(fsync: FsyncPolicy): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'steveslist-bench-bus-'));
  const bus = await EmbeddedBus.open({ dir, defaultPartitions: 4, segmentBytes: 64 << 20, fsync, fsyncIntervalMs: 100, retentionBytes: 1 << 40, retentionMs: 1e12 });
  try {
    const value = JSON.stringify({ before: null, after: { id: 1, name: 'x'.repeat(400) }, op: 'c' });
    let sent = 0;
    let t = Date.now();
    // Several producers at once, as the CDC reader publishes to several topics in parallel.
    await Promise.all(Array.from({ length: PRODUCERS }, async () => {
      while (sent < MESSAGES) {
        const from = sent;
        sent += BATCH;
        await bus.publish('bench', Array.from({ length: BATCH }, (_, i) => ({ key: `{"id":${from + i}}`, value })));
      }
    }));
    const published = measure(`bus publish, fsync ${fsync}`, 'msg', sent, Date.now() - t, `${PRODUCERS} producers x ${BATCH}-message batches, ~0.5 KB each`);

    t = Date.now();
    let received = 0;
    await new Promise<void>((resolve) => {
      void bus.subscribe({ group: 'bench', topics: ['bench'], maxBatchSize: 1000 }, async (batch) => {
        received += batch.messages.length;
        if (received >= sent) resolve();
      });
    });
    const consumed = measure(`bus consume, fsync ${fsync}`, 'msg', received, Date.now() - t, 'one group, 4 partitions');
    return [published, consumed];
  } finally {
    await bus.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A listing change as capture writes it (~1.2 KB): what the search, warehouse and alerts groups each read. */
function listingChange(id: number): string {
  const row = {
    id, seller_id: id % 997, name: `Road bike ${id} in good condition`, description: 'Aluminium frame, 54 cm, new tyres and chain; collection only. '.repeat(4),
    category: 'bikes', country: 'US', city: 'Portland', latitude: 45.52, longitude: -122.68, price_amount: 25000 + id, price_currency: 'USD',
    status: 'active', created_at: '2026-12-07T10:00:00.000000Z', updated_at: '2026-12-07T10:00:00.000000Z',
  };
  return JSON.stringify({ before: { ...row, price_amount: row.price_amount - 100 }, after: row, op: 'u', ts_ms: 1796640000000, source: { db: 'steveslist', table: 'listings', file: 'mariadb-bin.000003', pos: 4 + id * 300, server_id: 1, gtid: null } });
}

/**
 * Three consumer groups reading one topic while it is written, each parsing every message, as
 * search, the warehouse and alerts read the listings: with the newest records kept in memory (the
 * groups share one decoded record and one parse) and without (each reads the file and parses).
 */
async function fanOut(recentBytes: number | undefined): Promise<BenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'steveslist-bench-bus-'));
  const bus = await EmbeddedBus.open({ dir, defaultPartitions: 4, segmentBytes: 64 << 20, fsync: 'never', fsyncIntervalMs: 100, retentionBytes: 1 << 40, retentionMs: 1e12, recentBytes });
  const total = 100_000;
  const groups = 3;
  try {
    let prices = 0;
    const received = Array.from({ length: groups }, () => 0);
    const cpu = process.cpuUsage();
    const t = Date.now();
    const done = Promise.all(received.map((_, g) => new Promise<void>((resolve) => {
      void bus.subscribe({ group: `group-${g}`, topics: ['listings'], maxBatchSize: 1000 }, async (batch) => {
        for (const message of batch.messages) prices += parseMessage<{ after: { price_amount: number } }>(message, 'a change event').after.price_amount;
        received[g]! += batch.messages.length;
        if (received[g]! >= total) resolve();
      });
    })));
    // Written as capture does: batches at a pace the groups can follow.
    for (let from = 0; from < total; from += 500) {
      await bus.publish('listings', Array.from({ length: 500 }, (_, i) => ({ key: `{"id":${from + i}}`, value: listingChange(from + i) })));
      await new Promise((r) => setImmediate(r));
    }
    await done;
    const used = process.cpuUsage(cpu);
    const label = recentBytes === 0 ? 'each group reads the file and parses' : 'newest records in memory, one parse shared';
    return measure(`bus fan-out to ${groups} groups while written: ${label}`, 'msg', total, Date.now() - t,
      `CPU ${((used.user + used.system) / total).toFixed(1)} µs per message written (all groups); ~1.2 KB listing changes; checksum ${prices > 0 ? 'ok' : 'none'}`);
  } finally {
    await bus.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A restart after a kill -9 mid-write: a writer (bus-crash-writer.ts) killed once it has written
 * `killAfterBytes`, then the bus opened on what it left. The open reads each partition's active
 * segment through from its last checkpoint, checking every record: what a kill can have torn.
 */
async function openAfterKill(checkpointEveryBytes: number, killAfterBytes: number): Promise<{ ms: number; cpuMs: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'steveslist-bench-bus-'));
  try {
    const writer = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'bus-crash-writer.ts'), dir, String(checkpointEveryBytes)], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise((resolve) => writer.once('exit', resolve));
    let last = '';
    writer.stdout.on('data', (chunk: Buffer) => {
      last = chunk.toString().trim().split('\n').at(-1) ?? last;
      if (Number(last) >= killAfterBytes) writer.kill('SIGKILL');
    });
    await exited;
    const cpu = process.cpuUsage();
    const t = performance.now();
    const bus = await EmbeddedBus.open({ dir, defaultPartitions: 4, segmentBytes: 64 << 20, fsync: 'always', fsyncIntervalMs: 100, retentionBytes: 1 << 40, retentionMs: 1e12, checkpointEveryBytes, verifyDelayMs: 3_600_000 });
    await Promise.all(['listings', 'events'].map((topic) => bus.ensureTopic(topic)));
    const ms = performance.now() - t;
    const used = process.cpuUsage(cpu);
    await bus.close();
    return { ms, cpuMs: (used.user + used.system) / 1000 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function* opensAfterKills(): AsyncGenerator<BenchResult> {
  const kills = 6;
  for (const checkpointEveryBytes of [4 << 20, 1 << 20]) {
    const runs: { ms: number; cpuMs: number }[] = [];
    // Killed at points spread over several checkpoints' worth of writing per partition.
    for (let i = 0; i < kills; i++) runs.push(await openAfterKill(checkpointEveryBytes, (40 + 7 * i) << 20));
    const ms = runs.reduce((sum, run) => sum + run.ms, 0);
    const cpuMs = runs.reduce((sum, run) => sum + run.cpuMs, 0);
    yield measure(`bus open after kill -9 mid-write, checkpoint every ${checkpointEveryBytes >> 20} MB`, 'opens', kills, ms,
      `8 partitions written ~40-75 MB in all, fsync always; ${(ms / kills).toFixed(0)} ms and ${(cpuMs / kills).toFixed(0)} ms CPU an open (mean), slowest ${Math.max(...runs.map((run) => run.ms)).toFixed(0)} ms`);
  }
}

export async function* busBenches(): AsyncGenerator<BenchResult> {
  for (const fsync of ['always', 'never'] as const) yield* await publishAndConsume(fsync);
  for (const recentBytes of [0, undefined, 0, undefined]) yield await fanOut(recentBytes);
  yield* opensAfterKills();
}
