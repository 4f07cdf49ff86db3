// The warehouse served over ClickHouse's HTTP interface, so that any ClickHouse client (JDBC,
// @clickhouse/client, Grafana, DBeaver, curl) reaches the one-machine warehouse while the platform
// runs. Every request runs on a chDB session of its own, opened for it and closed after it: no
// setting, database or limit one request chooses can reach another.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { brotliCompress, brotliDecompress, deflate, gunzip, gzip, inflate } from 'node:zlib';
import type { Session } from 'chdb';
import type { Logger } from '../../core/log.js';
import { analystLimitSettings } from '../analyst-guard.js';
import { chdb } from '../chdb/native.js';
import { ALLOWED_FORMATS } from '../analyst-rules.js';
import { analystSettings } from './analyst-settings.js';
import { ACCESS_DENIED, AUTHENTICATION_FAILED, BAD_ARGUMENTS, exception, exceptionBody, fromEngineError, httpStatusOf, READONLY, TOO_MANY_SIMULTANEOUS_QUERIES, type ClickHouseException } from './clickhouse-exception.js';
import { contentTypeOf } from './content-types.js';
import { compressBlocks, decompressBlocks, NativeCompressionError } from './native-compression.js';
import { formatClauseOf, readRequestParams, type RequestParams } from './request-params.js';
import type { WarehouseUser, WarehouseUsers } from './warehouse-users.js';

/** Confines an analyst's SQL to what analysts may reach; returns the one statement to run. */
export type ConfineQuery = (ask: (sql: string) => Promise<string>, sql: string) => Promise<string>;

export interface WarehouseHttpOptions {
  /** The chDB folder (the process must own it: chDB allows one process per folder). */
  dir: string;
  host: string;
  port: number;
  users: WarehouseUsers;
  confine: ConfineQuery;
  log: Logger;
  /** Largest request body (SQL plus inserted data). */
  maxBodyBytes?: number;
}

export interface WarehouseHttpServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

class Refused extends Error {
  constructor(readonly exception: ClickHouseException) {
    super(exception.message);
  }
}

const DISPLAY_NAME = 'steveslist-warehouse';
/** An analyst's request is SQL alone: a megabyte of it is a mistake, not a query. */
const ANALYST_BODY_BYTES = 1024 * 1024;
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

export async function serveWarehouseHttp(options: WarehouseHttpOptions): Promise<WarehouseHttpServer> {
  const version = await engineVersion(options.dir);
  const running = new Map<string, number>();
  // chDB's queries run on libuv's thread pool, which the loader, password hashing and compression
  // share: analysts together never take more than half of it.
  const maxAnalystQueries = Math.max(1, Math.floor(threadPoolSize() / 2));
  let analystsRunning = 0;
  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      options.log.error({ err: error }, 'warehouse HTTP interface: request failed');
      if (!response.headersSent) response.writeHead(500).end();
      else response.destroy();
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://warehouse');
    const queryId = url.searchParams.get('query_id') || String(request.headers['x-clickhouse-query-id'] ?? '') || randomUUID();
    const fail = (e: ClickHouseException) => {
      response.writeHead(httpStatusOf(e.code), {
        'Content-Type': 'text/plain; charset=UTF-8', 'X-ClickHouse-Exception-Code': String(e.code), 'X-ClickHouse-Query-Id': queryId,
        'X-ClickHouse-Server-Display-Name': DISPLAY_NAME,
      }).end(exceptionBody(e, version));
    };
    if (request.method === 'HEAD' || ((url.pathname === '/ping' || url.pathname === '/replicas_status') && request.method === 'GET')) {
      response.writeHead(200, { 'Content-Type': 'text/plain; charset=UTF-8' }).end(request.method === 'HEAD' ? undefined : 'Ok.\n');
      return;
    }
    if (url.pathname !== '/' || (request.method !== 'GET' && request.method !== 'POST')) {
      response.writeHead(404, { 'Content-Type': 'text/plain; charset=UTF-8' }).end(`There is no handle ${url.pathname}\n\nUse / or /ping\n`);
      return;
    }
    const params = readRequestParams(url.searchParams, request.headers);
    if (request.method === 'GET' && !params.query) {
      response.writeHead(200, { 'Content-Type': 'text/plain; charset=UTF-8' }).end('Ok.\n');
      return;
    }
    // Who asks is known before anything of the body is read: a stranger's upload costs nothing.
    const user = authenticate(request, url.searchParams, options.users);
    if (!user) {
      request.resume();
      return fail(exception(AUTHENTICATION_FAILED, `${credentialsOf(request, url.searchParams).name}: Authentication failed: password is incorrect, or there is no user with such name`));
    }
    // The slot is taken before the body is read: requests being read count against the limits too.
    const active = running.get(user.name) ?? 0;
    if (active >= user.limits.maxConcurrentQueries) {
      request.resume();
      return fail(exception(TOO_MANY_SIMULTANEOUS_QUERIES, `Too many simultaneous queries for user ${user.name}. Current: ${active}, maximum: ${user.limits.maxConcurrentQueries}`));
    }
    if (user.role === 'analyst' && analystsRunning >= maxAnalystQueries) {
      request.resume();
      return fail(exception(TOO_MANY_SIMULTANEOUS_QUERIES, `Too many simultaneous analyst queries on this warehouse. Current: ${analystsRunning}, maximum: ${maxAnalystQueries}`));
    }
    running.set(user.name, active + 1);
    if (user.role === 'analyst') analystsRunning += 1;
    let session: Session | undefined;
    try {
      let sql: string;
      try {
        // An analyst sends SQL only; the loader's inserts carry their rows.
        const body = await readBody(request, params, user.role === 'analyst' ? ANALYST_BODY_BYTES : options.maxBodyBytes ?? 256 * 1024 * 1024);
        sql = [params.query, body.toString('utf8')].filter((part) => part && part.trim()).join('\n');
      } catch (error) {
        if (error instanceof Refused) request.resume();
        throw error;
      }
      if (!sql.trim()) throw new Refused(exception(BAD_ARGUMENTS, 'Empty query'));
      session = new (chdb().Session)(options.dir);
      const result = await run(session, user, params, sql, request.method === 'GET');
      await respond(request, response, params, result, queryId);
    } catch (error) {
      const e = error instanceof Refused ? error.exception : fromEngineError(error);
      // chDB runs everything as its one user "default"; the client knows itself by its own name.
      fail({ ...e, message: e.message.replace(/^default: /, `${user.name}: `) });
    } finally {
      session?.close();
      running.set(user.name, (running.get(user.name) ?? 1) - 1);
      if (user.role === 'analyst') analystsRunning -= 1;
    }
  }

  async function run(session: Session, user: WarehouseUser, params: RequestParams, sql: string, readOnlyMethod: boolean) {
    const bound = Object.keys(params.queryParams).length > 0;
    const execute = (statement: string, format: string) => (bound ? session.queryBindAsync(statement, params.queryParams, { format }) : session.queryAsync(statement, { format }));
    const set = async (settings: Record<string, string>) => {
      for (const [name, value] of Object.entries(settings)) {
        if (!IDENTIFIER.test(name)) throw new Refused(exception(BAD_ARGUMENTS, `"${name}" is not a setting name`));
        await session.queryAsync(`SET ${name} = ${quote(value)}`, { format: 'TSV' });
      }
    };
    if (params.database) {
      if (!IDENTIFIER.test(params.database)) throw new Refused(exception(BAD_ARGUMENTS, `database: "${params.database}" is not a database name`));
      await session.queryAsync(`USE ${params.database}`, { format: 'TSV' });
    }
    let statement = sql;
    if (user.role === 'analyst') {
      // A format also decides what the engine reads and writes beside the output (schema files):
      // the one asked for as a parameter or header is held to the FORMAT clause's list.
      if (params.defaultFormat && !ALLOWED_FORMATS.has(params.defaultFormat.toLowerCase())) {
        throw new Refused(exception(ACCESS_DENIED, `format ${params.defaultFormat} is not allowed for analysts (default_format / X-ClickHouse-Format)`));
      }
      const verdict = analystSettings(params.settings, user.limits);
      if (!verdict.ok) throw new Refused(exception(READONLY, `Cannot modify '${verdict.setting}' setting: ${verdict.reason} (user ${user.name})`));
      await set(verdict.output);
      await session.queryAsync('SET readonly = 2', { format: 'TSV' });
      try {
        statement = await options.confine(async (text) => (await execute(text, 'TabSeparated')).text(), sql);
      } catch (error) {
        throw new Refused(refusalOf(error));
      }
      // The limits come after the guard's own look-ups, which they would otherwise count.
      for (const [name, value] of analystLimitSettings(verdict.limits)) await session.queryAsync(`SET ${name} = ${value}`, { format: 'TSV' });
    } else {
      await set(params.settings);
      // ClickHouse answers GET with readonly=2 whoever asks.
      if (readOnlyMethod) await session.queryAsync('SET readonly = 2', { format: 'TSV' });
    }
    const format = formatClauseOf(user.role === 'analyst' ? statement : sql.split('\n')[0]!) ?? params.defaultFormat ?? 'TabSeparated';
    const result = await execute(statement, params.defaultFormat ?? 'TabSeparated');
    return { result, format };
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.keepAliveTimeout = 10_000;
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}`,
    port,
    close: () => closeServer(server),
  };
}

function refusalOf(error: unknown): ClickHouseException {
  const message = (error as Error).message;
  // The engine's own parse errors keep their code (a syntax error is a 400, like ClickHouse's).
  if (/^Code: \d+\./.test(message)) return fromEngineError(error);
  return exception(/read-only/.test(message) ? READONLY : ACCESS_DENIED, message);
}

const quote = (value: string) => (/^-?\d+(\.\d+)?$/.test(value) ? value : `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`);

async function engineVersion(dir: string): Promise<string> {
  const session = new (chdb().Session)(dir);
  try {
    return (await session.queryAsync('SELECT version()', { format: 'TSVRaw' })).text().trim();
  } finally {
    session.close();
  }
}

function credentialsOf(request: IncomingMessage, search: URLSearchParams): { name: string; password: string } {
  const basic = /^Basic (.+)$/i.exec(request.headers.authorization ?? '');
  if (basic) {
    const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon < 0 ? { name: decoded, password: '' } : { name: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  const headerUser = request.headers['x-clickhouse-user'];
  if (typeof headerUser === 'string') return { name: headerUser, password: String(request.headers['x-clickhouse-key'] ?? '') };
  return { name: search.get('user') ?? 'default', password: search.get('password') ?? '' };
}

function authenticate(request: IncomingMessage, search: URLSearchParams, users: WarehouseUsers): WarehouseUser | undefined {
  const { name, password } = credentialsOf(request, search);
  return users.authenticate(name, password);
}

type Inflate = (b: Buffer, options: { maxOutputLength: number }) => Promise<Buffer>;
const decoders: Record<string, Inflate> = { gzip: promisify(gunzip) as Inflate, deflate: promisify(inflate) as Inflate, br: promisify(brotliDecompress) as Inflate };

/** libuv's thread pool: UV_THREADPOOL_SIZE, 4 when unset. */
function threadPoolSize(): number {
  const size = Number(process.env.UV_THREADPOOL_SIZE);
  return Number.isInteger(size) && size > 0 ? size : 4;
}
const encoders: Record<string, (b: Buffer) => Promise<Buffer>> = { gzip: promisify(gzip), deflate: promisify(deflate), br: promisify(brotliCompress) };

async function readBody(request: IncomingMessage, params: RequestParams, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) throw new Refused(exception({ code: 301, name: 'QUERY_IS_TOO_LARGE' }, `request body over ${maxBytes} bytes`));
    chunks.push(chunk as Buffer);
  }
  let body: Buffer = Buffer.concat(chunks);
  const encoding = String(request.headers['content-encoding'] ?? '').toLowerCase();
  if (encoding && encoding !== 'identity') {
    const decode = decoders[encoding];
    if (!decode) throw new Refused(exception({ code: 336, name: 'UNKNOWN_COMPRESSION_METHOD' }, `Unknown Content-Encoding: ${encoding}`));
    try {
      // The limit holds for what the body inflates to: a small gzip can be a gigabyte of text.
      body = await decode(body, { maxOutputLength: maxBytes });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw new Refused(exception({ code: 301, name: 'QUERY_IS_TOO_LARGE' }, `request body over ${maxBytes} bytes once decompressed`));
      throw new Refused(exception({ code: 271, name: 'CANNOT_DECOMPRESS' }, `the body is not valid ${encoding}: ${(error as Error).message}`));
    }
  }
  if (!params.decompressRequest) return body;
  try {
    return decompressBlocks(body, { maxBytes });
  } catch (error) {
    if (error instanceof NativeCompressionError) throw new Refused(exception(error.kind, error.message));
    throw error;
  }
}

async function respond(request: IncomingMessage, response: ServerResponse, params: RequestParams, run: { result: { bytes(): Uint8Array; elapsed: number; rowsRead: number; bytesRead: number }; format: string }, queryId: string): Promise<void> {
  const raw = run.result.bytes();
  let body: Buffer = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  const headers: Record<string, string> = {
    'Content-Type': contentTypeOf(run.format),
    'X-ClickHouse-Format': run.format,
    'X-ClickHouse-Query-Id': queryId,
    'X-ClickHouse-Timezone': 'UTC',
    'X-ClickHouse-Server-Display-Name': DISPLAY_NAME,
    'X-ClickHouse-Summary': JSON.stringify({
      read_rows: String(run.result.rowsRead), read_bytes: String(run.result.bytesRead), written_rows: '0', written_bytes: '0',
      total_rows_to_read: String(run.result.rowsRead), result_rows: '0', result_bytes: String(body.length), elapsed_ns: String(Math.round(run.result.elapsed * 1e9)),
    }),
  };
  if (params.compressResponse) {
    // ClickHouse's own framing (LZ4 blocks with CityHash128 checksums), which JDBC and native-protocol clients ask for.
    body = compressBlocks(body);
  } else if (params.httpCompression) {
    const accepted = String(request.headers['accept-encoding'] ?? '').split(',').map((e) => e.trim().split(';')[0]!.toLowerCase());
    const encoding = ['gzip', 'br', 'deflate'].find((e) => accepted.includes(e));
    if (encoding) {
      body = Buffer.from(await encoders[encoding]!(body));
      headers['Content-Encoding'] = encoding;
    }
  }
  response.writeHead(200, { ...headers, 'Content-Length': String(body.length) }).end(body);
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}
