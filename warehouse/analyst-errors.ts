// Errors of analyst SQL: the ones the analyst can fix (a 4xx on the served interfaces).
import { PlatformError } from '../core/errors.js';

/** The query failed in ClickHouse (syntax, unknown column, a limit); the message is ClickHouse's. */
export class AnalystQueryError extends PlatformError {
  readonly code: string = 'QUERY_FAILED';
  readonly retriable = false;
}

/** The query names something analysts may not reach; the message says what. */
export class AnalystQueryRefused extends AnalystQueryError {
  override readonly code = 'QUERY_NOT_ALLOWED';
}
