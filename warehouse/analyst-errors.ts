// Errors of analyst SQL: the ones the analyst can fix (a 4xx on the served interfaces).
import { PlatformError } from '../core/errors.js';

/** The query failed in ClickHouse (syntax, unknown column, a limit); the message is ClickHouse's. */
export class AnalystQueryError extends PlatformError {
  readonly code: string = 'QUERY_FAILED';
  readonly retriable = false;
}

/**
 * ClickHouse's message about text the platform sent, told in the analyst's terms: where it quotes
 * the query, the analyst reads their own, not the guard's wrapper around it nor the FORMAT and
 * SETTINGS clauses appended to it.
 */
export function inAnalystTerms(message: string, sent: { text: string; analyst: string; appended?: string }): string {
  let told = message.split(sent.text).join(sent.analyst.trim());
  if (sent.appended) told = told.split(sent.appended).join('').split(sent.appended.trim()).join('');
  return told.replace(/\s+$/, '');
}

/** The query names something analysts may not reach; the message says what. */
export class AnalystQueryRefused extends AnalystQueryError {
  override readonly code = 'QUERY_NOT_ALLOWED';
}
