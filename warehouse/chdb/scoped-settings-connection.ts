// chDB's connection for @clickhouse/client sends a call's `clickhouse_settings` as `SET k = v;`
// statements on its one session, where they stay for every later call (an analyst's readonly=2
// once stopped all loading). This wrapper gives the settings back their HTTP meaning: they hold
// for the call that named them and are reset before any other call runs on the session.
import type { ChdbConnection as NativeConnection, Connection, ConnExecParams, ConnExecResult } from 'chdb/connection';
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { chdbConnection } from './native.js';

type ChdbConnection = Connection<Readable>;
type Settings = Record<string, unknown> | undefined;

/** Settings the chDB connection handles itself (format) or drops (HTTP-only): nothing to reset. */
const NOT_SET_ON_SESSION = new Set(['default_format', 'wait_end_of_query', 'send_progress_in_http_headers', 'http_response_buffer_size', 'http_headers_progress_interval_ms', 'http_send_progress_interval_ms', 'enable_http_compression', 'http_zlib_compression_level', 'http_response_compression_method', 'http_native_compression_disable_checksumming_on_decompress']);

/** The session-wide names a call's settings will SET, which must be reset after it. */
export function settingsToReset(settings: Settings): string[] {
  if (!settings) return [];
  const names = Object.entries(settings).filter(([name, value]) => value !== undefined && !NOT_SET_ON_SESSION.has(name)).map(([name]) => name);
  // readonly cannot be reset once set (readonly=1 forbids SET; readonly=2 forbids changing
  // readonly itself): on a shared session it would outlive the call, so it is refused here.
  if (names.includes('readonly')) throw new Error('the setting readonly cannot be given per query on the embedded warehouse (it would stay on the session): read-only callers use the served warehouse\'s analyst users');
  return names;
}

/** Runs calls one at a time: chDB runs a session's queries in turn anyway, and a call's SETs and their reset must not interleave with another call. */
class Turnstile {
  #tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(task, task);
    this.#tail = result.catch(() => undefined);
    return result;
  }
}

type BodyFormat = 'JSONEachRow' | 'TabSeparated';

/**
 * An `INSERT INTO db.table [(columns)] FORMAT JSONEachRow|TabSeparated` with a body (exec's
 * values), every name plain: the form chDB takes as bytes with the settings in the statement's own
 * SETTINGS clause, instead of the body copied into the SQL text and the settings SET on the
 * session and reset. Undefined for anything else.
 */
export function bodyInsertTarget(query: string): { table: string; columns?: string[]; format: BodyFormat } | undefined {
  const match = /^INSERT INTO ([A-Za-z0-9_]+\.[A-Za-z0-9_]+)(?: \(([A-Za-z0-9_]+(?:, [A-Za-z0-9_]+)*)\))? FORMAT (JSONEachRow|TabSeparated)$/.exec(query.trim());
  if (!match) return undefined;
  return { table: match[1]!, ...(match[2] ? { columns: match[2].split(', ') } : {}), format: match[3] as BodyFormat };
}

async function bytesOf(values: unknown): Promise<Buffer> {
  if (Buffer.isBuffer(values)) return values;
  if (typeof values === 'string') return Buffer.from(values);
  const chunks: Buffer[] = [];
  for await (const chunk of values as AsyncIterable<Buffer | string>) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return Buffer.concat(chunks);
}

export function createScopedChdbConnection(path: string): ChdbConnection {
  const native = chdbConnection().createChdbConnection({ path }) as unknown as NativeConnection;
  const inner = native as unknown as ChdbConnection;
  const turnstile = new Turnstile();
  const scoped = <P extends { clickhouse_settings?: Settings }, R>(call: (params: P) => Promise<R>) => (params: P): Promise<R> => turnstile.run(async () => {
    const reset = settingsToReset(params.clickhouse_settings);
    try {
      return await call(params);
    } finally {
      if (reset.length > 0) await inner.command({ query: reset.map((name) => `SET ${name} = DEFAULT`).join('; '), query_id: '' } as never);
    }
  });
  return {
    ping: (params) => turnstile.run(() => inner.ping(params)),
    query: scoped((params) => inner.query(params)),
    insert: scoped((params) => inner.insert(params)),
    command: scoped((params) => inner.command(params)),
    exec: (params) => {
      const target = params.values === undefined ? undefined : bodyInsertTarget(params.query);
      if (!target) return scoped((call: ConnExecParams<Readable>) => inner.exec(call))(params);
      return turnstile.run(async (): Promise<ConnExecResult<Readable>> => {
        settingsToReset(params.clickhouse_settings);
        const settings = Object.fromEntries(Object.entries(params.clickhouse_settings ?? {})
          .filter(([name, value]) => value !== undefined && !NOT_SET_ON_SESSION.has(name))) as Record<string, string | number | boolean>;
        const written = await native.chdb.rawInsert({ ...target, values: await bytesOf(params.values), settings });
        return {
          stream: Readable.from([]), query_id: params.query_id ?? randomUUID(), response_headers: {}, http_status_code: 200,
          summary: { read_rows: '0', read_bytes: '0', written_rows: String(written.rowsWritten), written_bytes: String(written.bytesWritten), total_rows_to_read: '0', result_rows: '0', result_bytes: '0', elapsed_ns: String(Math.round(written.elapsed * 1e9)) },
        };
      });
    },
    close: () => turnstile.run(() => inner.close()),
  };
}
