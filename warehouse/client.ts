// The warehouse client: @clickhouse/client everywhere, over an in-process chDB on one machine or
// HTTP to a ClickHouse server, so the loader, the marts and analyst SQL share one code path.
import type { ClickHouseClient } from '@clickhouse/client';
import { onFirstUse } from '../core/load-on-first-use.js';
import { folderError } from './chdb/folder-error.js';
import { createScopedChdbConnection } from './chdb/scoped-settings-connection.js';

export type { ClickHouseClient } from '@clickhouse/client';

const clickhouse = onFirstUse<typeof import('@clickhouse/client')>('@clickhouse/client');

export interface WarehouseTarget {
  /** HTTP URL of a ClickHouse server; undefined means chDB in `path`. */
  url?: string;
  path: string;
  username?: string;
  password?: string;
}

export function createWarehouseClient(target: WarehouseTarget): ClickHouseClient {
  if (target.url) {
    // The client's own logger prints every failed request to the console with a stack; the errors
    // are thrown to the platform, which logs them once in its own format.
    const { createClient, ClickHouseLogLevel } = clickhouse();
    return createClient({ url: target.url, username: target.username, password: target.password, request_timeout: 60_000, log: { level: ClickHouseLogLevel.OFF } });
  }
  try {
    // Each client is a chDB session of its own (several may share the folder in one process),
    // and a call's settings end with the call.
    return clickhouse().createClient({ connection: createScopedChdbConnection(target.path) as never });
  } catch (error) {
    throw folderError(target.path, error);
  }
}

/** The whole of a result stream (exec's), as bytes. */
export async function readAll(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}
