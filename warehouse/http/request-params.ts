// What a ClickHouse HTTP request carries besides SQL: the URL parameters with a meaning of their
// own, query parameters (`param_<name>`), and everything else as settings for this one query.

/** Parameters the HTTP interface reads itself; they are not settings. */
const INTERFACE_PARAMS = new Set([
  'query', 'database', 'default_format', 'query_id', 'user', 'password', 'quota_key',
  'compress', 'decompress', 'session_id', 'session_timeout', 'session_check', 'buffer_size',
  'wait_end_of_query', 'stacktrace', 'role', 'client_protocol_version', 'extremes',
]);

/** Settings that only shape the HTTP exchange; the engine never sees them. */
export const HTTP_ONLY_SETTINGS = new Set([
  'enable_http_compression', 'http_zlib_compression_level', 'send_progress_in_http_headers',
  'http_headers_progress_interval_ms', 'http_response_buffer_size', 'http_wait_end_of_query',
  'http_native_compression_disable_checksumming_on_decompress', 'cancel_http_readonly_queries_on_client_close',
  'add_http_cors_header', 'http_write_exception_in_output_format', 'http_response_headers',
]);

export interface RequestParams {
  query: string | undefined;
  database: string | undefined;
  defaultFormat: string | undefined;
  queryId: string | undefined;
  compressResponse: boolean;
  decompressRequest: boolean;
  httpCompression: boolean;
  /** `param_x=1` binds `{x:UInt8}` in the query. */
  queryParams: Record<string, string>;
  /** Settings for the engine, applied to this request only. */
  settings: Record<string, string>;
}

/** Request headers ClickHouse takes in place of URL parameters (JDBC sends these). */
export type RequestHeaders = Record<string, string | string[] | undefined>;

export function readRequestParams(search: URLSearchParams, headers: RequestHeaders = {}): RequestParams {
  const header = (name: string) => (typeof headers[name] === 'string' ? (headers[name] as string) : undefined) || undefined;
  const queryParams: Record<string, string> = {};
  const settings: Record<string, string> = {};
  for (const [name, value] of search) {
    if (name.startsWith('param_')) queryParams[name.slice('param_'.length)] = value;
    else if (!INTERFACE_PARAMS.has(name) && !HTTP_ONLY_SETTINGS.has(name)) settings[name] = value;
  }
  const flag = (name: string) => ['1', 'true'].includes(search.get(name) ?? '');
  return {
    query: search.get('query') ?? undefined,
    database: search.get('database') || header('x-clickhouse-database'),
    defaultFormat: search.get('default_format') || header('x-clickhouse-format'),
    queryId: search.get('query_id') || header('x-clickhouse-query-id'),
    compressResponse: flag('compress'),
    decompressRequest: flag('decompress'),
    httpCompression: flag('enable_http_compression'),
    queryParams,
    settings,
  };
}

/** The output format a statement names in its FORMAT clause, if any (the statement is one the engine parsed). */
export function formatClauseOf(sql: string): string | undefined {
  return /\bFORMAT\s+([A-Za-z][A-Za-z0-9_]*)\s*(?:SETTINGS\b[^;]*)?;?\s*$/i.exec(sql)?.[1];
}
